/**
 * `node local/dist/superserve/images/build-images.js`: builds the sandbox images, their copies
 * with the sandboxes' ids (runtime/id-map.ts), the tools' Node.js runtime and the sandboxes'
 * confinement (runtime/confinement.ts) into the cache unless they are there, and prints each
 * image. Run by `scripts/setup.sh`, so that the first start of the local Superserve does not wait.
 */
import { join } from "node:path";
import { prepareConfinement } from "../runtime/confinement";
import { idMappedImage } from "../runtime/id-map";
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
  await prepareConfinement(join(cacheDir, "confine"));
  for (const image of images.values()) {
    await idMappedImage(image.rootfs);
    console.log(
      `image ${image.name}: ${Math.round(image.sizeBytes / 1e6)} MB, built in ${image.buildSeconds} s on ${image.builtAt} (${image.rootfs})`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
