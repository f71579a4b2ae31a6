/**
 * `node local/dist/superserve/images/build-images.js`: builds the sandbox images (and the tools'
 * Node.js runtime) into the cache unless they are there, and prints each one. Run by
 * `scripts/setup.sh`, so that the first start of the local Superserve does not wait for them.
 */
import { join } from "node:path";
import { prepareSandboxNode } from "../runtime/sandbox-node";
import { defaultImageCacheDir, ensureImages } from "./image-cache";
import { IMAGE_RECIPES } from "./recipes";

async function main(): Promise<void> {
  const cacheDir = defaultImageCacheDir();
  const images = await ensureImages(IMAGE_RECIPES, {
    cacheDir,
    log: (line) => console.error(line),
  });
  await prepareSandboxNode(join(cacheDir, "node-runtime"));
  for (const image of images.values()) {
    console.log(
      `image ${image.name}: ${Math.round(image.sizeBytes / 1e6)} MB, built in ${image.buildSeconds} s on ${image.builtAt} (${image.rootfs})`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
