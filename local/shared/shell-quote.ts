/**
 * Shell quoting for the commands the emulators build. The one implementation is the provider
 * package's (it quotes the commands the providers send to sandboxes), a declared export of that
 * package, which this package depends on.
 */
export { shellQuote } from "pulumi-superserve-mesa/shell-quote";
