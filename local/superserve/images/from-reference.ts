import { DEBIAN_12, SUPERSERVE_BASE, type ImageRecipe } from "./recipes";

/** The local image a template's `from` builds on, and whether it is the image asked for. */
export interface ResolvedFrom {
  recipe: ImageRecipe;
  /** True when the local image is the reference itself (`debian:12`, `debian:bookworm`). */
  exact: boolean;
}

/** References served exactly: Debian 12 under its Docker Hub names. */
const EXACT = new Set(["debian:12", "debian:bookworm", "debian:12-slim", "debian:bookworm-slim"]);

/** Language images are emulated by the image that has the language (Python, Node.js and their package managers). */
const LANGUAGE_IMAGES = new Set(["python", "node"]);

/**
 * Maps a template's `from` to a local image. The local Superserve pulls no images: `debian:12`
 * and `debian:bookworm` (and their `-slim` tags) are built from Debian packages; `python:*` and
 * `node:*` are emulated by the `superserve-base` image (Debian 12 with Python, Node.js, pip and
 * npm); every other reference (`ubuntu:24.04`, …) by the Debian 12 image. See DIVERGENCES.md.
 */
export function resolveFrom(from: string): ResolvedFrom {
  const ref = from.replace(/^(docker\.io\/)?(library\/)?/, "").replace(/@sha256:[0-9a-f]+$/, "");
  if (EXACT.has(ref)) return { recipe: DEBIAN_12, exact: true };
  const repo = ref.split(":")[0];
  return { recipe: LANGUAGE_IMAGES.has(repo) ? SUPERSERVE_BASE : DEBIAN_12, exact: false };
}

/** The build-log line that says which image a build starts from. */
export function fromLogLine(from: string, resolved: ResolvedFrom): string {
  const image = `the local image ${resolved.recipe.name} (${resolved.recipe.description})`;
  return resolved.exact
    ? `from ${JSON.stringify(from)}: ${image}, built from Debian packages`
    : `from ${JSON.stringify(from)}: emulated by ${image}: the local Superserve builds its images from Debian packages and pulls none (see local/superserve/DIVERGENCES.md)`;
}
