package server

import (
	"encoding/json"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/airlock-sec/airlock/internal/integration"
	"github.com/airlock-sec/airlock/internal/store"
	"github.com/airlock-sec/airlock/internal/tunnel"
)

// doc describes an endpoint for the OpenAPI document. Request and
// Response are values of the Go types the handler decodes and encodes:
// the document's schemas are derived from them, so they cannot drift.
type doc struct {
	Summary  string
	Request  any
	Response any
	Status   int
	Query    []param
}

type param struct {
	Name, Type, Description string
}

var paging = []param{{"limit", "integer", "page size (default 100, at most 1000)"}, {"after", "integer", "return items after this ID (next_after of the previous page)"}}

// docs are the endpoints' descriptions, by "METHOD path". A test fails
// when a registered route has none or one describes no route.
var docs = map[string]doc{
	"GET /healthz":                            {Summary: "Liveness: the process answers.", Response: map[string]string{}},
	"GET /readyz":                             {Summary: "Readiness: the database answers and the job workers run.", Response: map[string]string{}},
	"GET /metrics":                            {Summary: "Prometheus metrics (text exposition format)."},
	"POST /webhooks/gitlab/{integration}":     {Summary: "GitLab webhook receiver (push, merge request and system hooks). Authenticated by X-Gitlab-Token.", Response: map[string]any{}, Status: http.StatusAccepted},
	"GET /scans/{id}":                         {Summary: "The web UI's page of scan {id} (HTML, for a signed-in session; without one it redirects to /login and back): project, branch, commit, trigger, status, timings, error and notices, and its new, existing and fixed findings. Merge request notes and commit statuses link here. The same data: GET /api/v1/scans/{id} and GET /api/v1/findings?scan_id={id}."},
	"GET /api/v1/openapi.json":                {Summary: "This document."},
	"GET /api/v1/version":                     {Summary: "Server version and database.", Response: map[string]any{}},
	"GET /api/v1/me":                          {Summary: "The calling token.", Response: map[string]any{}},
	"GET /api/v1/tokens":                      {Summary: "List API tokens.", Response: page[store.APIToken]{}},
	"POST /api/v1/tokens":                     {Summary: "Create an API token; the token is in the response only.", Request: createTokenRequest{}, Response: map[string]any{}, Status: http.StatusCreated},
	"GET /api/v1/dashboard":                   {Summary: "The dashboard: open findings by severity and kind, the 30-day trend of findings not fixed, the riskiest projects, the vulnerability data and its age.", Response: dashboard{}},
	"GET /api/v1/sessions":                    {Summary: "List live web UI sessions (never their cookies).", Response: page[store.Session]{}},
	"DELETE /api/v1/sessions/{id}":            {Summary: "Revoke a web UI session: its cookie stops working at once.", Status: http.StatusNoContent},
	"DELETE /api/v1/tokens/{id}":              {Summary: "Delete an API token (not the last admin token).", Status: http.StatusNoContent},
	"GET /api/v1/agent/connect":               {Summary: "On-prem agents connect here: a WebSocket upgrade authenticated by 'Authorization: Bearer <agent key>', carrying HTTP/2 (docs/agent.md).", Status: http.StatusSwitchingProtocols},
	"GET /api/v1/agent-keys":                  {Summary: "List agent keys (never the keys themselves).", Response: []store.AgentKey{}},
	"POST /api/v1/agent-keys":                 {Summary: "Create an agent key for a pool; the key is in the response only.", Request: agentKeyRequest{}, Response: map[string]any{}, Status: http.StatusCreated},
	"DELETE /api/v1/agent-keys/{id}":          {Summary: "Revoke an agent key: agents using it can no longer connect.", Status: http.StatusNoContent},
	"GET /api/v1/integrations/{id}/agents":    {Summary: "The agents connected for an integration's pool: version, remote address, connected since, last ping, requests served.", Response: []tunnel.AgentInfo{}},
	"GET /api/v1/integrations":                {Summary: "List GitLab integrations.", Response: page[integrationView]{}},
	"POST /api/v1/integrations":               {Summary: "Connect a GitLab instance: Test Connection runs first; discovery is queued.", Request: integrationRequest{}, Response: integrationView{}, Status: http.StatusCreated},
	"POST /api/v1/connection-tests":           {Summary: "Test Connection without saving anything.", Request: integrationRequest{}, Response: integration.CheckResult{}},
	"GET /api/v1/integrations/{id}":           {Summary: "One integration.", Response: integrationView{}},
	"PATCH /api/v1/integrations/{id}":         {Summary: "Change the name or connection settings (tested before saving).", Request: integrationRequest{}, Response: integrationView{}},
	"DELETE /api/v1/integrations/{id}":        {Summary: "Delete: removes every webhook to this airlock from its GitLab projects (answering with those GitLab refused), then its projects, scans and findings.", Response: deleteAnswer{}, Status: http.StatusAccepted},
	"POST /api/v1/integrations/{id}/test":     {Summary: "Test Connection with the stored settings.", Response: integration.CheckResult{}},
	"PUT /api/v1/integrations/{id}/token":     {Summary: "Rotate the GitLab token (tested before saving).", Request: rotateRequest{}, Response: integrationView{}},
	"PUT /api/v1/integrations/{id}/selection": {Summary: "Choose the projects to scan: all, all_future or list.", Request: selectionRequest{}, Response: integrationView{}},
	"POST /api/v1/integrations/{id}/discover": {Summary: "Queue project discovery now.", Response: map[string]string{}, Status: http.StatusAccepted},
	"GET /api/v1/integrations/{id}/events":    {Summary: "Recent webhook deliveries and what they caused.", Response: page[store.WebhookEvent]{}, Query: []param{{"limit", "integer", "at most 1000"}}},
	"GET /api/v1/projects":                    {Summary: "List discovered projects, each with its open findings by severity and kind and its newest scan.", Response: page[projectView]{}, Query: append([]param{{"integration_id", "integer", ""}, {"selected", "boolean", ""}, {"visible", "boolean", ""}, {"search", "string", "substring of the path"}}, paging...)},
	"GET /api/v1/projects/{id}":               {Summary: "One project, with its open findings by severity and kind and its newest scan.", Response: projectView{}},
	"POST /api/v1/projects/{id}/scans":        {Summary: "Queue a scan of a branch (default branch unless given).", Request: scanRequest{}, Response: store.Scan{}, Status: http.StatusAccepted},
	"GET /api/v1/scans":                       {Summary: "List scans, newest first.", Response: page[store.Scan]{}, Query: []param{{"project_id", "integer", ""}, {"branch", "string", ""}, {"status", "string", "queued, running, succeeded, failed, superseded"}, {"limit", "integer", ""}, {"before", "integer", "return scans before this ID"}}},
	"GET /api/v1/scans/{id}":                  {Summary: "One scan.", Response: store.Scan{}},
	"GET /api/v1/findings":                    {Summary: "List findings.", Response: page[store.Finding]{}, Query: append([]param{{"project_id", "integer", ""}, {"branch", "string", ""}, {"state", "string", "open, fixed or dismissed"}, {"kind", "string", ""}, {"severity", "string", ""}, {"package", "string", "a package name, or name@version"}, {"rule_id", "string", "a rule or advisory ID"}, {"scan_id", "integer", "the findings of one scan: of its project and branch, seen or fixed by it"}, {"change", "string", "with scan_id: new (first found by the scan), existing (seen before it) or fixed (fixed by it)"}}, paging...)},
	"GET /api/v1/findings/{id}":               {Summary: "One finding.", Response: store.Finding{}},
	"POST /api/v1/findings/{id}/dismiss":      {Summary: "Dismiss a finding, with a reason, on every branch of its project.", Request: dismissRequest{}, Response: store.Finding{}},
	"POST /api/v1/findings/{id}/reopen":       {Summary: "Reopen a dismissed finding.", Response: store.Finding{}},
	"GET /api/v1/data":                        {Summary: "The vulnerability data: sources and the signed bundles imported.", Response: DataStatus{}},
	"POST /api/v1/data/bundles":               {Summary: "Import a signed data bundle (the file as the body, application/octet-stream): verified against the server's trusted keys, applied whole or not at all; 422 untrusted or damaged, 409 a downgrade or a missing base.", Response: DataImport{}},
	"GET /api/v1/fix-plans":                   {Summary: "List remediation plans of a project or the instance, with counts by state and the mean time to fix.", Response: fixPlanList{}, Query: []param{{"project_id", "integer", "0 or absent: every project"}, {"state", "string", "proposed, approved, rejected, open, merged, verified or closed"}}},
	"GET /api/v1/fix-plans/{id}":              {Summary: "Read a remediation plan: its changes, diff, instructions and tool output.", Response: store.FixPlan{}},
	"POST /api/v1/fix-plans/{id}/approve":     {Summary: "Approve a proposed (or rejected) plan, with a reason; audited.", Request: decisionRequest{}, Response: store.FixPlan{}},
	"POST /api/v1/fix-plans/{id}/reject":      {Summary: "Reject a proposed (or approved) plan, with a reason; audited.", Request: decisionRequest{}, Response: store.FixPlan{}},
	"GET /api/v1/audit":                       {Summary: "The audit log, newest first.", Response: page[store.AuditEntry]{}, Query: []param{{"limit", "integer", ""}, {"before", "integer", ""}}},
}

func (s *Server) openapi(w http.ResponseWriter, r *http.Request, _ principal) {
	writeJSON(w, http.StatusOK, s.OpenAPI())
}

// OpenAPI builds the OpenAPI 3.1 document of the registered routes.
func (s *Server) OpenAPI() map[string]any {
	schemas := map[string]any{}
	paths := map[string]map[string]any{}
	for _, rt := range s.routes {
		d := docs[rt.Method+" "+rt.Path]
		op := map[string]any{"summary": d.Summary, "operationId": operationID(rt)}
		var params []any
		for _, seg := range strings.Split(rt.Path, "/") {
			if strings.HasPrefix(seg, "{") {
				params = append(params, map[string]any{"name": strings.Trim(seg, "{}"), "in": "path", "required": true, "schema": map[string]any{"type": "integer"}})
			}
		}
		for _, q := range d.Query {
			p := map[string]any{"name": q.Name, "in": "query", "schema": map[string]any{"type": q.Type}}
			if q.Description != "" {
				p["description"] = q.Description
			}
			params = append(params, p)
		}
		if params != nil {
			op["parameters"] = params
		}
		if d.Request != nil {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": schemaOf(reflect.TypeOf(d.Request), schemas)}}}
		}
		status := d.Status
		if status == 0 {
			status = http.StatusOK
		}
		resp := map[string]any{"description": http.StatusText(status)}
		if d.Response != nil {
			resp["content"] = map[string]any{"application/json": map[string]any{"schema": schemaOf(reflect.TypeOf(d.Response), schemas)}}
		}
		responses := map[string]any{strconv.Itoa(status): resp, "default": map[string]any{"description": "An error.", "content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}}}
		op["responses"] = responses
		if rt.Public {
			op["security"] = []any{}
		}
		if paths[rt.Path] == nil {
			paths[rt.Path] = map[string]any{}
		}
		paths[rt.Path][strings.ToLower(rt.Method)] = op
	}
	schemas["Error"] = map[string]any{"type": "object", "required": []string{"error"}, "properties": map[string]any{"error": schemaOf(reflect.TypeOf(apiError{}), schemas)}}
	return map[string]any{
		"openapi": "3.1.0",
		"info":    map[string]any{"title": "airlock API", "version": s.c.Version, "description": "Self-hosted application security for GitLab Self-Managed. Every /api/v1 endpoint needs 'Authorization: Bearer <token>'; admin tokens may change things, viewer tokens read."},
		"paths":   paths,
		"components": map[string]any{
			"schemas":         schemas,
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"}},
		},
		"security": []any{map[string]any{"bearer": []string{}}},
	}
}

func operationID(rt route) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(rt.Method))
	for _, seg := range strings.Split(rt.Path, "/") {
		seg = strings.Trim(seg, "{}")
		if seg == "" || seg == "api" || seg == "v1" {
			continue
		}
		for _, part := range strings.FieldsFunc(seg, func(r rune) bool { return r == '-' || r == '_' || r == '.' }) {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}

var (
	timeType = reflect.TypeOf(time.Time{})
	rawType  = reflect.TypeOf(json.RawMessage{})
)

// schemaOf derives a JSON Schema from a Go type the way encoding/json
// encodes it; named structs become components.
func schemaOf(t reflect.Type, schemas map[string]any) map[string]any {
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t == rawType:
		return map[string]any{}
	}
	switch t.Kind() {
	case reflect.Pointer:
		inner := schemaOf(t.Elem(), schemas)
		return map[string]any{"anyOf": []any{inner, map[string]any{"type": "null"}}}
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return map[string]any{"type": "string", "contentEncoding": "base64"}
		}
		return map[string]any{"type": []string{"array", "null"}, "items": schemaOf(t.Elem(), schemas)}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": schemaOf(t.Elem(), schemas)}
	case reflect.Interface:
		return map[string]any{}
	case reflect.Struct:
		name := componentName(t)
		if name != "" {
			if _, ok := schemas[name]; !ok {
				schemas[name] = map[string]any{} // placeholder against recursion
				schemas[name] = structSchema(t, schemas)
			}
			return map[string]any{"$ref": "#/components/schemas/" + name}
		}
		return structSchema(t, schemas)
	}
	return map[string]any{}
}

func componentName(t reflect.Type) string {
	name := t.Name()
	if name == "" {
		return ""
	}
	if i := strings.Index(name, "["); i >= 0 {
		// page[T]: Page of the element's name.
		inner := name[i+1 : len(name)-1]
		inner = inner[strings.LastIndex(inner, ".")+1:]
		return "Page" + strings.ToUpper(inner[:1]) + inner[1:]
	}
	return strings.ToUpper(name[:1]) + name[1:]
}

func structSchema(t reflect.Type, schemas map[string]any) map[string]any {
	props := map[string]any{}
	var required []string
	var embedded []any
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			embedded = append(embedded, schemaOf(f.Type, schemas))
			continue
		}
		if name == "" {
			name = f.Name
		}
		props[name] = schemaOf(f.Type, schemas)
		if !strings.Contains(opts, "omitempty") && f.Type.Kind() != reflect.Pointer {
			required = append(required, name)
		}
	}
	sort.Strings(required)
	out := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		out["required"] = required
	}
	if len(embedded) > 0 {
		return map[string]any{"allOf": append(embedded, out)}
	}
	return out
}
