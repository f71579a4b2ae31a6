/** Repos with content, and reading files back, through the real Mesa SDK (tests' common moves). */
import { VIRTUAL_ROOT_CHANGE_ID, type Mesa } from "@mesadev/sdk";

const TEST_AUTHOR = { name: "Test", email: "test@example.com" };

/** Create repo `name` whose default bookmark `main` holds `files`; returns the name. */
export async function seedRepo(
  mesa: Mesa,
  name: string,
  files: Record<string, string | Buffer>,
): Promise<string> {
  await mesa.repos.create({ name, default_bookmark: "main" });
  const change = await mesa.changes.create({
    repo: name,
    base_change_id: VIRTUAL_ROOT_CHANGE_ID,
    message: "seed",
    author: TEST_AUTHOR,
    files: upserts(files),
  });
  await mesa.bookmarks
    .create({ repo: name, name: "main", change_id: change.id })
    .catch(() => mesa.bookmarks.move({ repo: name, bookmark: "main", change_id: change.id }));
  return name;
}

/** Another writer's edit: a change with `files` on top of `bookmark`, which is then moved to it. */
export async function commitOnBookmark(
  mesa: Mesa,
  repo: string,
  bookmark: string,
  files: Record<string, string | Buffer>,
): Promise<void> {
  const tip = await mesa.bookmarks.get({ repo, bookmark });
  const change = await mesa.changes.create({
    repo,
    base_change_id: tip.change_id,
    message: "someone else",
    author: TEST_AUTHOR,
    files: upserts(files),
  });
  await mesa.bookmarks.move({ repo, bookmark, change_id: change.id });
}

/** The file operations of a change that writes `files`. */
function upserts(files: Record<string, string | Buffer>) {
  return Object.entries(files).map(([path, content]) => ({
    path,
    content: Buffer.from(content).toString("base64"),
    encoding: "base64" as const,
  }));
}

/** `path` at the tip of `bookmark` (bytes, text, mode, type), or undefined when it is absent. */
export async function remoteFile(
  mesa: Mesa,
  repo: string,
  path: string,
  bookmark = "main",
): Promise<{ text: string; bytes: Buffer; mode: string; type: string } | undefined> {
  const tip = await mesa.bookmarks.get({ repo, bookmark });
  try {
    const got = (await mesa.content.get({ repo, path, change_id: tip.change_id })) as {
      type: string;
      content: string;
      mode: string;
    };
    const bytes = Buffer.from(got.content, "base64");
    return { text: bytes.toString("utf8"), bytes, mode: got.mode, type: got.type };
  } catch (error) {
    if ((error as { status?: number }).status === 404) return undefined;
    throw error;
  }
}

/** Text of `path` at the tip of `bookmark`, or undefined when it is absent. */
export async function remoteText(
  mesa: Mesa,
  repo: string,
  path: string,
  bookmark = "main",
): Promise<string | undefined> {
  return (await remoteFile(mesa, repo, path, bookmark))?.text;
}
