/** How one sandbox image is built with mmdebstrap. */
export interface ImageRecipe {
  /** Directory-name prefix and the name in build logs. */
  name: string;
  /** What the image is, for build logs and the README. */
  description: string;
  /** Debian release the image is built from. */
  suite: "bookworm";
  /** mmdebstrap variant: `minbase` = the Essential packages and apt, as Debian's container images. */
  variant: "minbase";
  /** Packages installed on top of the variant. */
  include: string[];
  /** Shell commands run on the finished root file system (`$1` is its path). */
  customize: string[];
}

/** Every image gets these: a hosts file (localhost resolves), an empty resolv.conf (a sandbox has no resolver: the egress proxy resolves names), /home/user. */
const COMMON_CUSTOMIZE = [
  `printf '127.0.0.1\\tlocalhost\\n::1\\tlocalhost ip6-localhost ip6-loopback\\n' > "$1/etc/hosts"`,
  `: > "$1/etc/resolv.conf"`,
  `rm -f "$1/etc/hostname"`,
  `mkdir -p "$1/home/user"`,
  `rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin`,
  `mkdir -p "$1/var/lib/apt/lists/partial" "$1/var/cache/apt/archives/partial"`,
];

/** `debian:12`: Debian 12 (bookworm) as Debian's container image has it, no package lists. */
export const DEBIAN_12: ImageRecipe = {
  name: "debian-12",
  description: "Debian 12 (bookworm), minbase",
  suite: "bookworm",
  variant: "minbase",
  include: [],
  customize: COMMON_CUSTOMIZE,
};

/**
 * The image of the built-in templates (`superserve/base` and the others): Debian 12 with what
 * the vendor documents for `superserve/base` (Python, Node.js, npm, git, curl, build-essential).
 * `pip install` works system-wide, as in the vendor's Python images.
 */
export const SUPERSERVE_BASE: ImageRecipe = {
  name: "superserve-base",
  description:
    "Debian 12 (bookworm) with Python 3.11, pip, venv, Node.js 18, npm, git, curl, build-essential",
  suite: "bookworm",
  variant: "minbase",
  include: [
    "ca-certificates",
    "curl",
    "git",
    "python3",
    "python3-pip",
    "python3-venv",
    "nodejs",
    "npm",
    "build-essential",
  ],
  customize: [
    ...COMMON_CUSTOMIZE,
    `printf '[global]\\nbreak-system-packages = true\\n' > "$1/etc/pip.conf"`,
  ],
};

/** Every image the local Superserve uses. */
export const IMAGE_RECIPES = [DEBIAN_12, SUPERSERVE_BASE];
