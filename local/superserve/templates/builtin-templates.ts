import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { buildSpecHash } from "./builder";
import type { Clock } from "../../shared/clock";
import type { IdGenerator } from "../store/ids";
import type { ImageSet } from "../images/image-cache";
import { SUPERSERVE_BASE, type ImageRecipe } from "../images/recipes";
import type { BuildRecord, TemplateRecord } from "../store/records";
import type { SuperserveStore } from "../store/store";

/** A curated template every team sees (the `superserve/` names). */
interface BuiltInTemplate {
  name: string;
  /** The base the vendor documents for it. */
  from: string;
  recipe: ImageRecipe;
}

/**
 * The curated templates the vendor documents: `superserve/base` (the default of `Sandbox.create`;
 * Python, Node.js, npm, git, curl, build-essential), `superserve/python-3.11` and
 * `superserve/node-22`, each the documented default shape (1 vCPU, 1024 MiB, 4096 MiB disk).
 * Locally all three are the `superserve-base` image (see DIVERGENCES.md for the versions).
 */
export const BUILT_IN_TEMPLATES: BuiltInTemplate[] = [
  { name: "superserve/base", from: "ubuntu:24.04", recipe: SUPERSERVE_BASE },
  { name: "superserve/python-3.11", from: "python:3.11", recipe: SUPERSERVE_BASE },
  { name: "superserve/node-22", from: "node:22", recipe: SUPERSERVE_BASE },
];

/** The template `Sandbox.create` boots when it names none. */
export const DEFAULT_TEMPLATE = "superserve/base";

/** Names under `superserve/` belong to the curated templates; a team can neither create, delete nor rebuild them. */
export function isBuiltInName(name: string): boolean {
  return name.startsWith("superserve/");
}

/**
 * Puts the built-in templates in the store, ready, each with one build whose layer is empty over
 * its image. Runs at every start: a template whose image changed (a new recipe) gets a new build;
 * sandboxes on the earlier one keep it.
 */
export function registerBuiltInTemplates(deps: {
  store: SuperserveStore;
  ids: IdGenerator;
  clock: Clock;
  layersDir: string;
  images: ImageSet;
}): void {
  const { store, ids, clock, layersDir, images } = deps;
  const now = new Date(clock.now()).toISOString();
  for (const def of BUILT_IN_TEMPLATES) {
    const image = images.get(def.recipe.name);
    if (!image) throw new Error(`image ${def.recipe.name} of ${def.name} is not built`);
    const existing = store.getTemplate(def.name);
    const current = existing?.ready_build_id ? store.getBuild(existing.ready_build_id) : undefined;
    if (current?.image === image.rootfs) continue;
    const spec = { from: def.from };
    const template: TemplateRecord = existing ?? {
      id: ids.id("tpl"),
      name: def.name,
      vcpu: 1,
      memory_mib: 1024,
      disk_mib: 4096,
      build_spec: spec,
      status: "ready",
      created_at: now,
    };
    const build: BuildRecord = {
      id: ids.id("bld"),
      template_id: template.id,
      status: "ready",
      build_spec: spec,
      build_spec_hash: buildSpecHash(spec),
      image: image.rootfs,
      created_at: now,
      started_at: now,
      finalized_at: now,
      env: {},
    };
    mkdirSync(join(layersDir, build.id), { recursive: true });
    store.transaction(() => {
      store.putBuild(build);
      store.putTemplate({
        ...template,
        status: "ready",
        built_at: now,
        size_bytes: image.sizeBytes,
        latest_build_id: build.id,
        ready_build_id: build.id,
      });
    });
  }
}
