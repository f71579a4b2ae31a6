/**
 * A small client for the Mesa REST API (`/v1`), written on global `fetch` so that the bundled
 * `mesa` command needs no node_modules inside a sandbox. It covers only what the mount uses.
 */

/** A non-2xx answer from Mesa, with the vendor's `{error:{code,message}}` envelope decoded. */
export class MesaApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = "MesaApiError";
  }
}

/** A repo as listed by `GET /{org}/repos`. */
export interface RepoInfo {
  id: string;
  org: string;
  name: string;
  default_bookmark: string;
  head_change_id: string;
}

/** A bookmark: a name pointing at a change. */
interface BookmarkInfo {
  name: string;
  change_id: string;
}

/** A change as returned by the changes endpoints. */
interface ChangeInfo {
  id: string;
  current_commit_oid: string;
}

/** One entry of a directory listing. */
interface DirEntry {
  type: "file" | "symlink" | "dir";
  name: string;
  path: string;
  sha: string;
  size?: number;
  mode?: string;
}

/** A file or symlink with its bytes. */
interface FileContent {
  type: "file" | "symlink";
  path: string;
  sha: string;
  mode: string;
  content: Buffer;
}

/** `GET /diff`: per-file hunks between two changes. */
export interface DiffInfo {
  truncated?: boolean;
  entries: {
    path: string;
    status: string;
    omitted_reason?: string | null;
    hunks: { lines: { kind: string; text: string }[] }[] | null;
  }[];
}

/** One file operation of `changes.create` / `changes.patch`. */
export type FileOp =
  | { path: string; action: "upsert"; content: string; encoding: "base64"; mode: string }
  | { path: string; action: "delete" };

/** `GET /whoami`. */
interface WhoAmI {
  org: { slug: string };
  key_id: string | null;
  scopes: string[];
}

/** Options of {@link MesaApi}. */
interface MesaApiOptions {
  /** REST base, e.g. `https://api.mesa.dev/v1`. */
  apiUrl: string;
  /** API key or access token, sent as `Bearer`. */
  credential: string;
  /** Attempts for transient failures (429, 5xx, network). */
  attempts?: number;
  /** Waits between attempts; injectable so tests do not sleep. */
  sleep?: (ms: number) => Promise<void>;
  /** Per-request timeout. */
  timeoutMs?: number;
}

const USER_AGENT = "mesa-cli-local/0.1";

/** Typed calls to the Mesa REST API with retries of transient failures. */
export class MesaApi {
  private readonly base: string;
  private readonly attempts: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly timeoutMs: number;

  constructor(private readonly options: MesaApiOptions) {
    this.base = options.apiUrl.replace(/\/+$/, "");
    this.attempts = options.attempts ?? 5;
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** `GET /whoami`. */
  whoami(): Promise<WhoAmI> {
    return this.request("GET", "/whoami");
  }

  /** All repos of `org` the credential can see (follows the cursor). */
  async listRepos(org: string): Promise<RepoInfo[]> {
    const repos: RepoInfo[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor === null ? "?limit=100" : `?limit=100&cursor=${enc(cursor)}`;
      const page: { repos: RepoInfo[]; next_cursor: string | null; has_more: boolean } =
        await this.request("GET", `/${enc(org)}/repos${query}`);
      repos.push(...page.repos);
      cursor = page.has_more ? page.next_cursor : null;
    } while (cursor !== null);
    return repos;
  }

  /** `GET /{org}/{repo}`. */
  getRepo(org: string, repo: string): Promise<RepoInfo> {
    return this.request("GET", `/${enc(org)}/${enc(repo)}`);
  }

  /** `GET /{org}/{repo}/bookmarks/{bookmark}`. */
  getBookmark(org: string, repo: string, bookmark: string): Promise<BookmarkInfo> {
    return this.request("GET", `/${enc(org)}/${enc(repo)}/bookmarks/${enc(bookmark)}`);
  }

  /** `PATCH /{org}/{repo}/bookmarks/{bookmark}` with `{change_id}`. */
  moveBookmark(
    org: string,
    repo: string,
    bookmark: string,
    changeId: string,
  ): Promise<BookmarkInfo> {
    return this.request("PATCH", `/${enc(org)}/${enc(repo)}/bookmarks/${enc(bookmark)}`, {
      change_id: changeId,
    });
  }

  /** `GET /{org}/{repo}/changes/{id}`. */
  getChange(org: string, repo: string, changeId: string): Promise<ChangeInfo> {
    return this.request("GET", `/${enc(org)}/${enc(repo)}/changes/${enc(changeId)}`);
  }

  /** `POST /{org}/{repo}/changes`: a new change on top of `baseChangeId`. */
  createChange(
    org: string,
    repo: string,
    body: { base_change_id: string; message: string; author: Person; files: FileOp[] },
  ): Promise<ChangeInfo> {
    return this.request("POST", `/${enc(org)}/${enc(repo)}/changes`, body);
  }

  /** `PATCH /{org}/{repo}/changes/{id}`: amends a change, guarded by `base_commit_oid`. */
  patchChange(
    org: string,
    repo: string,
    changeId: string,
    body: { files: FileOp[]; base_commit_oid: string },
  ): Promise<ChangeInfo> {
    return this.request("PATCH", `/${enc(org)}/${enc(repo)}/changes/${enc(changeId)}`, body);
  }

  /** Every entry under `path` ('' = root) up to `depth` levels (flat, with full paths). */
  async listTree(
    org: string,
    repo: string,
    changeId: string,
    path: string,
    depth: number,
  ): Promise<DirEntry[]> {
    const query = `?change_id=${enc(changeId)}&depth=${depth}${path === "" ? "" : `&path=${enc(path)}`}`;
    const dir: { type: string; entries?: DirEntry[] } = await this.request(
      "GET",
      `/${enc(org)}/${enc(repo)}/content${query}`,
    );
    if (dir.type !== "dir") {
      throw new MesaApiError(
        500,
        "UNEXPECTED",
        `expected a directory at '${path}', got ${dir.type}`,
      );
    }
    return dir.entries ?? [];
  }

  /** `GET /{org}/{repo}/diff` between two changes. */
  diff(org: string, repo: string, baseChangeId: string, headChangeId: string): Promise<DiffInfo> {
    return this.request(
      "GET",
      `/${enc(org)}/${enc(repo)}/diff?base_change_id=${enc(baseChangeId)}&head_change_id=${enc(headChangeId)}`,
    );
  }

  /** Bytes of the file or symlink `path` at `changeId`. */
  async readFile(org: string, repo: string, changeId: string, path: string): Promise<FileContent> {
    const file: {
      type: "file" | "symlink";
      path: string;
      sha: string;
      mode: string;
      content: string;
    } = await this.request(
      "GET",
      `/${enc(org)}/${enc(repo)}/content?change_id=${enc(changeId)}&path=${enc(path)}`,
    );
    return { ...file, content: Buffer.from(file.content ?? "", "base64") };
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      let response: Response;
      try {
        response = await fetch(this.base + path, {
          method,
          headers: {
            authorization: `Bearer ${this.options.credential}`,
            "user-agent": USER_AGENT,
            ...(body === undefined ? {} : { "content-type": "application/json" }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
      } catch (error) {
        // A retried POST can at worst leave an orphan change that no bookmark points at.
        lastError = error;
        if (attempt < this.attempts) await this.sleep(backoff(attempt));
        continue;
      }
      const text = await response.text();
      if (response.ok) return (text === "" ? {} : JSON.parse(text)) as T;
      const error = decodeError(response.status, text);
      const transient = response.status === 429 || response.status >= 500;
      if (!transient || attempt === this.attempts) throw error;
      lastError = error;
      const retryAfter = Number(response.headers.get("retry-after"));
      await this.sleep(
        Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : backoff(attempt),
      );
    }
    throw lastError instanceof MesaApiError ? lastError : networkError(method, path, lastError);
  }
}

/** Author/committer of the changes the mount creates. */
export interface Person {
  name: string;
  email: string;
}

function enc(value: string): string {
  return encodeURIComponent(value);
}

function backoff(attempt: number): number {
  const base = Math.min(2000, 100 * 2 ** (attempt - 1));
  return base / 2 + Math.random() * (base / 2);
}

function networkError(method: string, path: string, error: unknown): MesaApiError {
  const reason = error instanceof Error ? error.message : String(error);
  return new MesaApiError(
    0,
    "NETWORK",
    `${method} ${path.split("?")[0]} failed: ${reason}; check MESA_API_URL`,
  );
}

function decodeError(status: number, text: string): MesaApiError {
  try {
    const parsed = JSON.parse(text) as { error?: { code?: string; message?: string } };
    if (parsed.error?.message !== undefined) {
      return new MesaApiError(
        status,
        parsed.error.code,
        `${parsed.error.code ?? status}: ${parsed.error.message}`,
      );
    }
  } catch {
    // Not JSON: fall through to the raw text.
  }
  return new MesaApiError(status, undefined, `HTTP ${status}: ${text.slice(0, 200)}`);
}
