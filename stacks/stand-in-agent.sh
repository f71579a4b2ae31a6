#!/bin/sh
# The local stand-in for `claude`: the local stack installs it in its template as
# /usr/local/bin/claude, so the agent command of the vendors' guide,
#   claude "Implement the feature described in TODO.md"
# runs as written in local sandboxes (no model, no API key). It reads its task (AGENT_TASK, else its
# first argument), then edits a file of its own in the working directory (the mount) over several
# seconds, one step at a time, and exits 0. Each write opens the file by its full path, so a remount
# meanwhile (a renewed token) receives the next steps; a step the mount refuses (it failed closed
# when its token expired) is reported and the agent goes on.
#   AGENT_STEPS          how many steps (default 3)
#   AGENT_STEP_SECONDS   pause before each step (default 2)
#   AGENT_INDEX          names the file: agent-<index>.md (default 0)
set -eu
task="${AGENT_TASK:-${1:-}}"
steps="${AGENT_STEPS:-3}"
pause="${AGENT_STEP_SECONDS:-2}"
file="$PWD/agent-${AGENT_INDEX:-0}.md"
echo "stand-in agent: working on: $task"
printf '# Agent %s\n\nTask: %s\n\n' "${AGENT_INDEX:-0}" "$task" > "$file"
i=1
while [ "$i" -le "$steps" ]; do
  sleep "$pause"
  if printf -- '- step %s of %s done\n' "$i" "$steps" >> "$file"; then
    echo "step $i of $steps done"
  else
    echo "step $i of $steps: could not write $file (has the mount failed closed?)" >&2
  fi
  i=$((i + 1))
done
printf 'Done.\n' >> "$file"
echo "done: $file"
