import type { Readable } from "node:stream";
import { extract } from "tar-stream";
import { ZipFile } from "yazl";
import { readBody, RequestBodyError } from "../../../shared/body";
import type { DataContext, DataHandler } from "../context";
import { errors } from "../../errors";
import { FileOpError } from "../../runtime/bwrap-runtime";

/** Largest upload accepted. */
const MAX_UPLOAD_BYTES = 1024 * 1024 * 1024;

function filePath(ctx: DataContext): string {
  const path = ctx.query.get("path");
  if (!path)
    throw errors.invalid("path", "is required (an absolute path such as /home/user/a.txt)");
  if (!path.startsWith("/")) throw errors.invalid("path", `must start with "/": ${path}`);
  if (path.split("/").includes(".."))
    throw errors.invalid("path", `must not contain ".." segments: ${path}`);
  if (path.includes("\0")) throw errors.invalid("path", "must not contain NUL");
  return path;
}

/** `POST /files?path=`: the raw body becomes the file; parents are created. */
export const writeFile: DataHandler = async (ctx) => {
  const path = filePath(ctx);
  let data: Buffer;
  try {
    data = await readBody(ctx.req, MAX_UPLOAD_BYTES);
  } catch (err) {
    if (err instanceof RequestBodyError) throw errors.tooLarge(err.message);
    throw err;
  }
  try {
    await ctx.services.runtime.writeFile(ctx.sandbox.id, path, data);
  } catch (err) {
    if (err instanceof FileOpError)
      throw errors.invalid("path", `cannot write ${path}: ${err.message}`);
    throw err;
  }
  return { status: 200, body: { path, size: data.length } };
};

/** `GET /files?path=[&format=zip]`: raw bytes, or a zip of a directory. */
export const readFile: DataHandler = async (ctx) => {
  const path = filePath(ctx);
  const { runtime } = ctx.services;
  const content = await runtime.readFile(ctx.sandbox.id, path);
  if (content === undefined) throw errors.notFound("file", path);
  if (content === "directory") {
    if (ctx.query.get("format") !== "zip")
      throw errors.invalid(
        "path",
        `${path} is a directory; add format=zip to download it as a zip`,
      );
    ctx.res.writeHead(200, { "content-type": "application/zip" });
    const zip = await tarToZip(await runtime.tarDirectory(ctx.sandbox.id, path));
    zip.pipe(ctx.res);
    await new Promise<void>((ok) => ctx.res.once("close", ok));
    return;
  }
  ctx.res.writeHead(200, {
    "content-type": "application/octet-stream",
    "content-length": String(content.length),
  });
  ctx.res.end(content);
};

/** Re-packs a tar stream as a zip: regular files and directories; symlinks and devices are skipped. */
function tarToZip(tar: Readable): Promise<Readable> {
  const zip = new ZipFile();
  const ex = extract();
  ex.on("entry", (header, stream, next) => {
    const name = header.name.replace(/^\.\//, "");
    if (header.type === "directory") {
      zip.addEmptyDirectory(name, {
        mtime: header.mtime ?? new Date(),
        mode: header.mode ?? 0o755,
      });
      stream.resume();
      stream.on("end", next);
    } else if (header.type === "file") {
      const chunks: Buffer[] = [];
      stream.on("data", (c: unknown) => void chunks.push(c as Buffer));
      stream.on("end", () => {
        zip.addBuffer(Buffer.concat(chunks), name, {
          mtime: header.mtime ?? new Date(),
          mode: header.mode ?? 0o644,
        });
        next();
      });
    } else {
      stream.resume();
      stream.on("end", next);
    }
  });
  return new Promise((ok) => {
    ex.on("finish", () => {
      zip.end();
      ok(zip.outputStream as Readable);
    });
    ex.on("error", () => {
      zip.end();
      ok(zip.outputStream as Readable);
    });
    tar.pipe(ex);
  });
}
