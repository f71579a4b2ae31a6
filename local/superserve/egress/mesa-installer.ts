import { TOOLS_MOUNT } from "../runtime/rootfs";

/**
 * What `https://mesa.dev/install.sh` serves to local sandboxes: a POSIX sh script taking the
 * real installer's flags (`--yes`, `--version X`) that "installs" the local `mesa` — every
 * sandbox already has it read-only under the tools mount — by writing a wrapper to
 * /usr/local/bin/mesa (or ~/.local/bin/mesa for a user who cannot write there), so a template
 * built with the installer step keeps a `mesa` on its PATH. Re-running it is harmless, as with
 * the real installer.
 */
export const MESA_INSTALL_SCRIPT = `#!/bin/sh
# The local Superserve's https://mesa.dev/install.sh: installs the local mesa CLI.
set -eu
version=latest
while [ $# -gt 0 ]; do
  case "$1" in
    -y|--yes) ;;
    --version) [ $# -ge 2 ] || { echo "install.sh: --version needs a value (e.g. --version 1.2.3)" >&2; exit 2; }; version=$2; shift ;;
    --version=*) version=\${1#--version=} ;;
    -h|--help) echo "usage: install.sh [--yes] [--version VERSION]"; exit 0 ;;
    *) echo "install.sh: unknown option $1 (use --yes, --version VERSION)" >&2; exit 2 ;;
  esac
  shift
done
src=${TOOLS_MOUNT}/mesa
if [ ! -x "$src" ]; then
  echo "install.sh: the local mesa is missing at $src: the local Superserve was started without its sandbox tools" >&2
  exit 1
fi
dest=/usr/local/bin
if ! mkdir -p "$dest" 2>/dev/null || [ ! -w "$dest" ]; then
  dest=\${HOME:-/root}/.local/bin
  mkdir -p "$dest"
fi
printf '#!/bin/sh\\nexec %s "$@"\\n' "$src" > "$dest/mesa.tmp"
chmod 755 "$dest/mesa.tmp"
mv -f "$dest/mesa.tmp" "$dest/mesa"
echo "mesa ($version, local) installed to $dest/mesa"
`;
