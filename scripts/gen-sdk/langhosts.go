//go:build langhosts

// The generators of the .NET and Java language hosts (pulumi-dotnet's pulumi-language-dotnet and
// pulumi-java's pkg modules), at versions that build against the same, older, pkg/v3.
package main

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"strings"

	dotnet "github.com/pulumi/pulumi-dotnet/pulumi-language-dotnet/v3/codegen"
	java "github.com/pulumi/pulumi-java/pkg/codegen/java"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

var generators = map[string]generator{
	"dotnet": {generate: func(pkg *schema.Package) (map[string][]byte, error) {
		// The .NET generator downloads the package's logo (logo.png, the NuGet package's icon); with
		// no logoUrl, Pulumi's from the internet. This command reaches no network: its HTTP client
		// answers the logo request itself, and fails any other.
		http.DefaultTransport = logoOnly{}
		return dotnet.GeneratePackage(tool, pkg, nil, nil)
	}},
	"java": {
		// As the Java language host does: types whose names differ only in case become one.
		prepare: func(spec *schema.PackageSpec) error {
			deduped, diags, err := java.DeduplicateTypes(spec)
			if err != nil {
				return err
			}
			if diags.HasErrors() {
				return fmt.Errorf("the schema's types clash in Java: %v", diags)
			}
			*spec = *deduped
			return nil
		},
		// A Gradle project (build.gradle, settings.gradle), as `pulumi package gen-sdk` makes it.
		generate: func(pkg *schema.Package) (map[string][]byte, error) {
			return java.GeneratePackage(tool, pkg, nil, nil, false, false)
		},
	},
}

// logoOnly answers a request for a .png with the package's logo, and fails every other request.
type logoOnly struct{}

func (logoOnly) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet || !strings.HasSuffix(req.URL.Path, ".png") {
		return nil, fmt.Errorf("gen-sdk reaches no network; the generator asked for %s", req.URL)
	}
	var logo bytes.Buffer
	if err := png.Encode(&logo, packageLogo()); err != nil {
		return nil, err
	}
	return &http.Response{
		StatusCode: http.StatusOK,
		Header:     http.Header{"Content-Type": {"image/png"}},
		Body:       io.NopCloser(&logo),
		Request:    req,
	}, nil
}

// packageLogo is the package's 64x64 icon: two bars, one per service, on white.
func packageLogo() image.Image {
	const size = 64
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			c := color.NRGBA{R: 255, G: 255, B: 255, A: 255}
			switch {
			case y >= 12 && y < 28 && x >= 8 && x < 56:
				c = color.NRGBA{R: 37, G: 99, B: 235, A: 255}
			case y >= 36 && y < 52 && x >= 8 && x < 56:
				c = color.NRGBA{R: 16, G: 185, B: 129, A: 255}
			}
			img.Set(x, y, c)
		}
	}
	return img
}
