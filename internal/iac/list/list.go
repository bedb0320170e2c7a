// Package list is the one registry of IaC parsers: every input airlock
// reads is listed here, and a test fails when a parser package below
// internal/iac is missing from the list.
package list

import (
	"github.com/airlock-sec/airlock/internal/iac"
	"github.com/airlock-sec/airlock/internal/iac/cloudformation"
	"github.com/airlock-sec/airlock/internal/iac/compose"
	"github.com/airlock-sec/airlock/internal/iac/dockerfile"
	"github.com/airlock-sec/airlock/internal/iac/gitlabci"
	"github.com/airlock-sec/airlock/internal/iac/helm"
	"github.com/airlock-sec/airlock/internal/iac/kubernetes"
	"github.com/airlock-sec/airlock/internal/iac/kustomize"
	"github.com/airlock-sec/airlock/internal/iac/terraform"
)

// All returns one of every parser.
func All() []iac.Parser {
	return []iac.Parser{
		dockerfile.New(),
		terraform.New(),
		compose.New(),
		kubernetes.New(),
		cloudformation.New(),
		gitlabci.New(),
		helm.New(),
		kustomize.New(),
	}
}
