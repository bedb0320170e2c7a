package terraform

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// functions are the Terraform functions that go-cty's standard library
// implements under the same names. A call to any other function (file,
// cidrsubnet, ...) leaves its attribute unknown.
var functions = map[string]function.Function{
	"abs": stdlib.AbsoluteFunc, "ceil": stdlib.CeilFunc, "chomp": stdlib.ChompFunc,
	"chunklist": stdlib.ChunklistFunc, "coalesce": stdlib.CoalesceFunc, "coalescelist": stdlib.CoalesceListFunc,
	"compact": stdlib.CompactFunc, "concat": stdlib.ConcatFunc, "contains": stdlib.ContainsFunc,
	"csvdecode": stdlib.CSVDecodeFunc, "distinct": stdlib.DistinctFunc, "element": stdlib.ElementFunc,
	"flatten": stdlib.FlattenFunc, "floor": stdlib.FloorFunc, "format": stdlib.FormatFunc,
	"formatdate": stdlib.FormatDateFunc, "formatlist": stdlib.FormatListFunc, "indent": stdlib.IndentFunc,
	"index": stdlib.IndexFunc, "join": stdlib.JoinFunc, "jsondecode": stdlib.JSONDecodeFunc,
	"jsonencode": stdlib.JSONEncodeFunc, "keys": stdlib.KeysFunc, "length": stdlib.LengthFunc,
	"log": stdlib.LogFunc, "lookup": stdlib.LookupFunc, "lower": stdlib.LowerFunc, "max": stdlib.MaxFunc,
	"merge": stdlib.MergeFunc, "min": stdlib.MinFunc, "parseint": stdlib.ParseIntFunc, "pow": stdlib.PowFunc,
	"range": stdlib.RangeFunc, "regex": stdlib.RegexFunc, "regexall": stdlib.RegexAllFunc,
	"replace": stdlib.ReplaceFunc, "reverse": stdlib.ReverseListFunc, "setintersection": stdlib.SetIntersectionFunc,
	"setproduct": stdlib.SetProductFunc, "setsubtract": stdlib.SetSubtractFunc, "setunion": stdlib.SetUnionFunc,
	"signum": stdlib.SignumFunc, "slice": stdlib.SliceFunc, "sort": stdlib.SortFunc, "split": stdlib.SplitFunc,
	"strrev": stdlib.ReverseFunc, "substr": stdlib.SubstrFunc, "timeadd": stdlib.TimeAddFunc,
	"title": stdlib.TitleFunc, "trim": stdlib.TrimFunc, "trimprefix": stdlib.TrimPrefixFunc,
	"trimspace": stdlib.TrimSpaceFunc, "trimsuffix": stdlib.TrimSuffixFunc, "upper": stdlib.UpperFunc,
	"values": stdlib.ValuesFunc, "zipmap": stdlib.ZipmapFunc,
	"tostring": stdlib.MakeToFunc(cty.String), "tonumber": stdlib.MakeToFunc(cty.Number),
	"tobool": stdlib.MakeToFunc(cty.Bool), "tolist": stdlib.MakeToFunc(cty.List(cty.DynamicPseudoType)),
	"toset": stdlib.MakeToFunc(cty.Set(cty.DynamicPseudoType)), "tomap": stdlib.MakeToFunc(cty.Map(cty.DynamicPseudoType)),
}

// scope is what expressions of one module see.
type scope struct {
	vars   map[string]cty.Value
	locals map[string]cty.Value
	dir    string
}

// ctx returns the evaluation context, with count/each when given.
func (s *scope) ctx(extra map[string]cty.Value) *hcl.EvalContext {
	v := map[string]cty.Value{
		"var":       cty.ObjectVal(s.vars),
		"local":     cty.ObjectVal(s.locals),
		"path":      cty.ObjectVal(map[string]cty.Value{"module": cty.StringVal(s.dir), "root": cty.StringVal("."), "cwd": cty.StringVal(".")}),
		"terraform": cty.ObjectVal(map[string]cty.Value{"workspace": cty.StringVal("default")}),
	}
	for k, x := range extra {
		v[k] = x
	}
	return &hcl.EvalContext{Variables: v, Functions: functions}
}

// eval evaluates an expression; what cannot be known statically (another
// resource's attribute, an unknown function) is unknown, never an error.
func eval(e hcl.Expression, c *hcl.EvalContext) (v cty.Value) {
	defer func() {
		if r := recover(); r != nil {
			v = cty.DynamicVal
		}
	}()
	v, diags := e.Value(c)
	if diags.HasErrors() && v.IsWhollyKnown() {
		// A partial result after an error (an unknown variable inside a
		// template) is not what the file says.
		return cty.DynamicVal
	}
	return v
}

// goValue turns a value into the policies' input. An unknown value is the
// text of its expression in "${...}" (so a policy can see that
// aws_s3_bucket_policy.x.bucket refers to aws_s3_bucket.data); null is nil.
func goValue(v cty.Value, src string) any {
	defer func() { _ = recover() }()
	v, _ = v.UnmarkDeep()
	if !v.IsKnown() {
		if src == "" {
			src = "unknown"
		}
		return "${" + src + "}"
	}
	if v.IsNull() {
		return nil
	}
	t := v.Type()
	switch {
	case t == cty.String:
		return v.AsString()
	case t == cty.Bool:
		return v.True()
	case t == cty.Number:
		bf := v.AsBigFloat()
		if bf.IsInt() {
			return json.Number(bf.Text('f', -1))
		}
		return json.Number(bf.Text('g', 16))
	case t.IsListType() || t.IsSetType() || t.IsTupleType():
		out := []any{}
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			out = append(out, goValue(e, ""))
		}
		return out
	case t.IsMapType() || t.IsObjectType():
		out := map[string]any{}
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			out[k.AsString()] = goValue(e, "")
		}
		return out
	}
	return fmt.Sprint(v.GoString())
}

// source is the text of an expression in its file.
func source(e hcl.Expression, src []byte) string {
	r := e.Range()
	if r.Start.Byte < 0 || r.End.Byte > len(src) || r.Start.Byte > r.End.Byte {
		return ""
	}
	s := strings.TrimSpace(string(src[r.Start.Byte:r.End.Byte]))
	if _, ok := e.(*hclsyntax.TemplateWrapExpr); ok {
		s = strings.TrimSuffix(strings.TrimPrefix(s, `"${`), `}"`)
	}
	return s
}
