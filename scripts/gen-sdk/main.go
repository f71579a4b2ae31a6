// Command gen-sdk generates this package's SDKs from plugin/schema.json with the code generators
// that `pulumi package gen-sdk` runs through each language's host. scripts/gen-sdk.sh builds it
// twice, outside the repository, because the generators need two versions of pkg/v3 (whose Go API
// is not stable across minor versions): this file with cli.go (Python, Go, Node.js: the pinned
// CLI's own pkg/v3) and this file with langhosts.go (.NET and Java, from the pulumi-dotnet and
// pulumi-java language hosts' modules, which build only against an older pkg/v3).
//
// Usage: gen-sdk [--check] <schema.json> <language> <output directory>
//
// With --check nothing is written: it exits 1, naming the files, when the directory differs from
// what the schema generates (files kept besides the generated ones: see keptFiles).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"

	"github.com/blang/semver"
)

const tool = "pulumi-superserve-mesa scripts/gen-sdk.sh"

// keptFiles are the files of an SDK directory besides the generated ones, which generating keeps
// and --check leaves alone: the Go SDK's module files (scripts/gen-sdk.sh writes them after the
// generator) and the Java SDK's Maven build (sdk/java/pom.xml, written by hand).
var keptFiles = map[string][]string{"go": {"go.mod", "go.sum"}, "java": {"pom.xml"}}

func main() {
	args := os.Args[1:]
	check := len(args) > 0 && args[0] == "--check"
	if check {
		args = args[1:]
	}
	if len(args) != 3 {
		fmt.Fprintf(os.Stderr,
			"usage: gen-sdk [--check] <schema.json> <%s> <output directory>\n", strings.Join(languages(), "|"))
		os.Exit(2)
	}
	files, err := generate(args[0], args[1])
	if err == nil && check {
		err = compare(files, args[2], keptFiles[args[1]])
	} else if err == nil {
		err = write(files, args[2], keptFiles[args[1]])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen-sdk:", err)
		os.Exit(1)
	}
}

// selfContained loads no other package: the schema references none.
type selfContained struct{}

var errReference = errors.New("the schema references another package; it must be self-contained")

func (selfContained) LoadPackage(string, *semver.Version) (*schema.Package, error) {
	return nil, errReference
}

func (selfContained) LoadPackageV2(context.Context, *schema.PackageDescriptor) (*schema.Package, error) {
	return nil, errReference
}

func (selfContained) LoadPackageReference(string, *semver.Version) (schema.PackageReference, error) {
	return nil, errReference
}

func (selfContained) LoadPackageReferenceV2(
	context.Context, *schema.PackageDescriptor,
) (schema.PackageReference, error) {
	return nil, errReference
}

// generate returns the files of the language's SDK, by path relative to its directory.
func generate(schemaPath, language string) (map[string][]byte, error) {
	text, err := os.ReadFile(schemaPath)
	if err != nil {
		return nil, err
	}
	var spec schema.PackageSpec
	if err := json.Unmarshal(text, &spec); err != nil {
		return nil, fmt.Errorf("%s: %w", schemaPath, err)
	}
	generator, ok := generators[language]
	if !ok {
		return nil, fmt.Errorf("no generator for %q in this build (%s)", language, strings.Join(languages(), ", "))
	}
	if generator.prepare != nil {
		if err := generator.prepare(&spec); err != nil {
			return nil, err
		}
	}
	pkg, diags, err := schema.BindSpec(spec, selfContained{}, schema.ValidationOptions{})
	if err != nil {
		return nil, err
	}
	if diags.HasErrors() {
		return nil, fmt.Errorf("the schema is not valid: %v", diags)
	}
	return generator.generate(pkg)
}

// A language's generator: prepare (optional) adjusts the spec before it is bound.
type generator struct {
	prepare  func(spec *schema.PackageSpec) error
	generate func(pkg *schema.Package) (map[string][]byte, error)
}

func languages() []string {
	names := make([]string, 0, len(generators))
	for name := range generators {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// write replaces the directory out with the files, keeping the kept ones that exist.
func write(files map[string][]byte, out string, kept []string) error {
	all := map[string][]byte{}
	for _, name := range kept {
		content, err := os.ReadFile(filepath.Join(out, name))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		all[name] = content
	}
	for name, content := range files {
		all[name] = content
	}
	if err := os.RemoveAll(out); err != nil {
		return err
	}
	for name, content := range all {
		path := filepath.Join(out, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, content, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// compare fails, naming every differing, missing and extra file, when the directory out is not
// exactly the files (besides the kept ones).
func compare(files map[string][]byte, out string, kept []string) error {
	var problems []string
	seen := map[string]bool{}
	for _, name := range kept {
		seen[name] = true
	}
	err := filepath.WalkDir(out, func(path string, entry fs.DirEntry, err error) error {
		if err != nil || entry.IsDir() {
			return err
		}
		name, err := filepath.Rel(out, path)
		if err != nil || seen[name] {
			return err
		}
		seen[name] = true
		want, generated := files[name]
		if !generated {
			problems = append(problems, name+" (not generated)")
			return nil
		}
		have, err := os.ReadFile(path)
		if err == nil && string(have) != string(want) {
			problems = append(problems, name+" (differs)")
		}
		return err
	})
	if err != nil {
		return err
	}
	for name := range files {
		if !seen[name] {
			problems = append(problems, name+" (missing)")
		}
	}
	if len(problems) == 0 {
		return nil
	}
	sort.Strings(problems)
	return fmt.Errorf("%s is out of step with the schema: %v; run scripts/gen-sdk.sh", out, problems)
}
