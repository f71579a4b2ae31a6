/**
 * What the SuperserveTemplate provider keeps in the Pulumi state: its inputs after `check`, and
 * its outputs (the inputs plus what Superserve reports about the build).
 */
import type { CommonInputs } from "../lifecycle";

type TemplateStep =
  | { run: string }
  | { env: { key: string; value: string } }
  | { workdir: string }
  | { user: { name: string; sudo?: boolean } };

export interface SuperserveTemplateInputs extends CommonInputs {
  name: string;
  from: string;
  steps: TemplateStep[];
  vcpu?: number;
  memoryMib?: number;
  diskMib?: number;
  startCmd?: string;
  readyCmd?: string;
  buildTimeoutSeconds?: number;
  verboseBuildLogs?: boolean;
}

export interface SuperserveTemplateOutputs extends SuperserveTemplateInputs {
  status: string;
  buildId: string;
  buildSpecHash: string;
  builtAt?: string;
  sizeBytes?: number;
}
