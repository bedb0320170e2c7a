package gradlelock

import (
	"context"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/airlock-sec/airlock/internal/inventory"
	"github.com/airlock-sec/airlock/internal/inventory/inventorytest"
)

func TestFileRequired(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"gradle.lockfile", true},
		{"app/gradle.lockfile", true},
		{"buildscript-gradle.lockfile", true},
		{"settings-gradle.lockfile", true},
		{"gradle/dependency-locks/compileClasspath.lockfile", true},
		{"lib/gradle/dependency-locks/testRuntimeClasspath.lockfile", true},
		{"dependency-locks/compileClasspath.lockfile", false},
		{"gradle/compileClasspath.lockfile", false},
		{"other.lockfile", false},
		{"gradle.lockfile.bak", false},
		{"build.gradle", false},
	}
	x := New()
	for _, tt := range tests {
		if got := x.FileRequired(tt.path); got != tt.want {
			t.Errorf("FileRequired(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}

func TestGolden(t *testing.T) {
	inventorytest.Golden(t, New(), "testdata/*.lockfile")
}

// In gradle/dependency-locks/ the file name is the configuration.
func TestPerConfiguration(t *testing.T) {
	pkg := func(path, name, version string, line int, dev bool) inventory.Package {
		return inventory.Package{Ecosystem: inventory.Maven, Name: name, Version: version, Dev: dev, Location: inventory.Location{Path: path, Line: line}}
	}
	const test, compile = "gradle/dependency-locks/testCompileClasspath.lockfile", "gradle/dependency-locks/compileClasspath.lockfile"
	for file, want := range map[string][]inventory.Package{
		test: {
			pkg(test, "junit:junit", "4.13.2", 4, true),
			pkg(test, "org.hamcrest:hamcrest-core", "1.3", 5, true),
		},
		compile: {
			pkg(compile, "org.apache.commons:commons-text", "1.9", 4, false),
			pkg(compile, "org.apache.commons:commons-lang3", "3.11", 5, false),
		},
	} {
		f, err := os.Open("testdata/" + file)
		if err != nil {
			t.Fatal(err)
		}
		got, err := New().Extract(context.Background(), &inventory.Input{Path: file, Reader: f})
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := inventory.CheckSpans(os.DirFS("testdata"), got); err != nil {
			t.Error(err)
		}
		for i := range got {
			got[i].VersionSpan = nil // checked above
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", file, diff)
		}
	}
}

func FuzzExtract(f *testing.F) {
	inventorytest.Fuzz(f, New(), "gradle.lockfile", "testdata/*.lockfile")
}
