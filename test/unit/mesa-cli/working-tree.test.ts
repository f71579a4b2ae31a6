import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { changedPaths, gitBlobSha, WorkingTree } from "../../../local/mesa-cli/working-tree";

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(join(tmpdir(), "mesa-cli-wt-"));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

describe("working copy scanning", () => {
  it("hashes files like git and records executable bits and symlinks", () => {
    expect(gitBlobSha(Buffer.from("hello\n"))).toBe("ce013625030ba8dba906f756967f9e9ca394464a");
    fs.mkdirSync(join(root, "src/deep"), { recursive: true });
    fs.writeFileSync(join(root, "src/deep/a.txt"), "hello\n");
    fs.writeFileSync(join(root, "run.sh"), "#!/bin/sh\n", { mode: 0o755 });
    fs.symlinkSync("src/deep/a.txt", join(root, "link"));
    const { tree, dirs } = new WorkingTree(root).scan();
    expect(Object.fromEntries(tree)).toEqual({
      "src/deep/a.txt": { mode: "100644", sha: "ce013625030ba8dba906f756967f9e9ca394464a" },
      "run.sh": { mode: "100755", sha: gitBlobSha(Buffer.from("#!/bin/sh\n")) },
      link: { mode: "120000", sha: gitBlobSha(Buffer.from("src/deep/a.txt")) },
    });
    expect(dirs.sort()).toEqual(["", "src", "src/deep"]);
  });

  it("reports added, modified, mode-changed and deleted paths against the base", () => {
    const wt = new WorkingTree(root);
    fs.writeFileSync(join(root, "keep"), "k");
    fs.writeFileSync(join(root, "edit"), "1");
    fs.writeFileSync(join(root, "gone"), "g");
    fs.writeFileSync(join(root, "exec"), "x");
    const base = wt.scan().tree;
    fs.writeFileSync(join(root, "edit"), "2");
    fs.rmSync(join(root, "gone"));
    fs.chmodSync(join(root, "exec"), 0o755);
    fs.writeFileSync(join(root, "new"), "n");
    expect(changedPaths(base, wt.scan().tree)).toEqual(["edit", "exec", "gone", "new"]);
  });

  it("rescans only dirty directories and still sees new subtrees, removed dirs and type changes", () => {
    const wt = new WorkingTree(root);
    for (const path of ["a/one", "a/two", "x/y/z", "keep/k", "swap"]) {
      fs.mkdirSync(join(root, path, ".."), { recursive: true });
      fs.writeFileSync(join(root, path), path);
    }
    wt.current();
    fs.writeFileSync(join(root, "a/one"), "changed");
    fs.rmSync(join(root, "a/two"));
    fs.mkdirSync(join(root, "a/new/deeper"), { recursive: true });
    fs.writeFileSync(join(root, "a/new/deeper/f"), "f");
    fs.rmSync(join(root, "x"), { recursive: true });
    fs.rmSync(join(root, "swap"));
    fs.mkdirSync(join(root, "swap"));
    fs.writeFileSync(join(root, "swap/inside"), "i");
    wt.markDirty("a");
    wt.markDirty("");
    const incremental = wt.current().tree;
    expect(Object.fromEntries(incremental)).toEqual(
      Object.fromEntries(new WorkingTree(root).scan().tree),
    );
    expect([...incremental.keys()].sort()).toEqual([
      "a/new/deeper/f",
      "a/one",
      "keep/k",
      "swap/inside",
    ]);
  });

  it("writes files, executables and symlinks over whatever is in the way, and prunes empty dirs on remove", () => {
    const wt = new WorkingTree(root);
    fs.mkdirSync(join(root, "x"));
    fs.writeFileSync(join(root, "x/old"), "o");
    wt.write("x", "100755", Buffer.from("now a file"));
    expect(fs.readFileSync(join(root, "x"), "utf8")).toBe("now a file");
    expect(fs.statSync(join(root, "x")).mode & 0o777).toBe(0o755);
    wt.write("a/b/c.bin", "100644", Buffer.from([0, 255, 1]));
    wt.write("a/l", "120000", Buffer.from("b/c.bin"));
    expect(fs.readlinkSync(join(root, "a/l"))).toBe("b/c.bin");
    expect([...fs.readFileSync(join(root, "a/l"))]).toEqual([0, 255, 1]);
    wt.remove("a/b/c.bin");
    expect(fs.existsSync(join(root, "a/b"))).toBe(false);
    expect(fs.existsSync(join(root, "a"))).toBe(true);
  });
});
