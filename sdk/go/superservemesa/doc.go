// Pulumi resources for AI-agent environments: Mesa repos, Superserve sandbox templates, and sandboxes with the Mesa repo mounted inside.
package superservemesa
