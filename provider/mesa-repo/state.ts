/**
 * What the MesaRepo provider keeps in the Pulumi state: its inputs after `check`, and its outputs
 * (the inputs plus what Mesa reports).
 */
import type { CommonInputs } from "../lifecycle";

type UpstreamAuth =
  | { kind: "token"; token: string; tokenUsername?: string }
  | { kind: "username_password"; username: string; password: string };

export interface MesaRepoInputs extends CommonInputs {
  name: string;
  org?: string;
  defaultBookmark?: string;
  tags: Record<string, string>;
  upstream?: { url: string; auth?: UpstreamAuth };
  /** Delete the repo even when bookmarks other than the default hold work (set by `check`). */
  forceDestroy: boolean;
  timeoutSeconds?: number;
}

/** Inputs stored encrypted in the state (the credentials live in `upstream.auth`); never printed. */
export const MESA_REPO_ENCRYPTED_INPUTS = ["upstream"] as const;

export interface MesaRepoOutputs extends MesaRepoInputs {
  org: string;
  defaultBookmark: string;
  headChangeId: string;
}
