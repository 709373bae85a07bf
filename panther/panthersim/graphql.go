package panthersim

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/validator"
)

// The GraphQL side works in two steps. gqlparser parses the operation and
// validates it against schema.graphql, as Panther would. Then a small
// generic executor walks the selection set over a tree of plain values that
// the resolvers build: map[string]any for objects (with "__typename" where
// the field's type is a union), []any for lists, scalars as they are, and a
// resolver func for fields that take arguments or must run lazily.

// resolver computes a field's value from its arguments.
type resolver = func(args map[string]any) (any, error)

// maxGraphQLBody bounds a GraphQL request body.
const maxGraphQLBody = 1 << 20

// graphQLRequest is the body of a GraphQL POST.
type graphQLRequest struct {
	Query         string         `json:"query"`
	Variables     map[string]any `json:"variables"`
	OperationName string         `json:"operationName"`
}

// graphQLResponse is the body of a GraphQL answer.
type graphQLResponse struct {
	Data   any           `json:"data"`
	Errors gqlerror.List `json:"errors,omitempty"`
}

// serveGraphQL answers POST /public/graphql.
func (s *Server) serveGraphQL(w http.ResponseWriter, r *http.Request) {
	var req graphQLRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxGraphQLBody)).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, graphQLResponse{Errors: gqlerror.List{
			coded("BAD_REQUEST", "request body is not a GraphQL request: "+err.Error()),
		}})
		return
	}
	doc, errs := gqlparser.LoadQueryWithRules(s.schema, req.Query, nil)
	if len(errs) > 0 {
		for _, e := range errs {
			e.Extensions = map[string]any{"code": "GRAPHQL_VALIDATION_FAILED"}
		}
		writeJSON(w, http.StatusOK, graphQLResponse{Errors: errs})
		return
	}
	op := doc.Operations.ForName(req.OperationName)
	if op == nil {
		writeJSON(w, http.StatusOK, graphQLResponse{Errors: gqlerror.List{
			coded("GRAPHQL_VALIDATION_FAILED", "unknown operation "+req.OperationName),
		}})
		return
	}
	vars, err := validator.VariableValues(s.schema, op, req.Variables)
	if err != nil {
		writeJSON(w, http.StatusOK, graphQLResponse{Errors: gqlerror.List{asGQLError(err, "BAD_USER_INPUT")}})
		return
	}

	s.mu.Lock()
	root, typeName := s.queryRoot(), "Query"
	if op.Operation == ast.Mutation {
		root, typeName = s.mutationRoot(), "Mutation"
	}
	ex := &executor{schema: s.schema, vars: vars}
	for _, g := range ex.collect(op.SelectionSet, typeName) {
		s.calls[g.fields[0].Name]++
	}
	data, err := ex.object(op.SelectionSet, typeName, root, nil)
	s.mu.Unlock()

	if err != nil {
		writeJSON(w, http.StatusOK, graphQLResponse{Errors: gqlerror.List{asGQLError(err, "INTERNAL_SERVER_ERROR")}})
		return
	}
	writeJSON(w, http.StatusOK, graphQLResponse{Data: data})
}

// coded returns a GraphQL error with an extensions.code.
func coded(code, msg string) *gqlerror.Error {
	return &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": code}}
}

// asGQLError keeps a *gqlerror.Error as it is and codes anything else.
func asGQLError(err error, code string) *gqlerror.Error {
	var ge *gqlerror.Error
	if errors.As(err, &ge) {
		if ge.Extensions == nil {
			ge.Extensions = map[string]any{"code": code}
		}
		return ge
	}
	return coded(code, err.Error())
}

// executor projects resolved values onto one operation's selection sets.
type executor struct {
	schema *ast.Schema
	vars   map[string]any
}

// fieldGroup is the fields of a selection set that share one response key.
type fieldGroup struct {
	key    string
	fields []*ast.Field
}

// collect gathers the fields that apply to an object of type typeName,
// following inline fragments and fragment spreads whose type condition
// matches, grouped by response key (alias or name) in first-seen order.
func (e *executor) collect(set ast.SelectionSet, typeName string) []fieldGroup {
	var groups []fieldGroup
	index := map[string]int{}
	var walk func(ast.SelectionSet)
	walk = func(set ast.SelectionSet) {
		for _, sel := range set {
			switch sel := sel.(type) {
			case *ast.Field:
				key := sel.Alias
				if key == "" {
					key = sel.Name
				}
				if i, ok := index[key]; ok {
					groups[i].fields = append(groups[i].fields, sel)
					continue
				}
				index[key] = len(groups)
				groups = append(groups, fieldGroup{key: key, fields: []*ast.Field{sel}})
			case *ast.InlineFragment:
				if e.applies(sel.TypeCondition, typeName) {
					walk(sel.SelectionSet)
				}
			case *ast.FragmentSpread:
				if def := sel.Definition; def != nil && e.applies(def.TypeCondition, typeName) {
					walk(def.SelectionSet)
				}
			}
		}
	}
	walk(set)
	return groups
}

// applies reports whether a fragment with type condition cond applies to an
// object of type typeName.
func (e *executor) applies(cond, typeName string) bool {
	if cond == "" || cond == typeName {
		return true
	}
	def := e.schema.Types[cond]
	if def == nil {
		return false
	}
	for _, t := range e.schema.GetPossibleTypes(def) {
		if t.Name == typeName {
			return true
		}
	}
	return false
}

// object projects the selection set onto obj, an object of type typeName.
func (e *executor) object(set ast.SelectionSet, typeName string, obj map[string]any, path ast.Path) (map[string]any, error) {
	out := map[string]any{}
	for _, g := range e.collect(set, typeName) {
		f := g.fields[0]
		fieldPath := append(append(ast.Path{}, path...), ast.PathName(g.key))
		if f.Name == "__typename" {
			out[g.key] = typeName
			continue
		}
		v := obj[f.Name]
		if fn, ok := v.(resolver); ok {
			var err error
			if v, err = fn(f.ArgumentMap(e.vars)); err != nil {
				ge := asGQLError(err, "INTERNAL_SERVER_ERROR")
				ge.Path = fieldPath
				return nil, ge
			}
		}
		var sub ast.SelectionSet
		for _, ff := range g.fields {
			sub = append(sub, ff.SelectionSet...)
		}
		cv, err := e.value(f.Definition.Type, sub, v, fieldPath)
		if err != nil {
			return nil, err
		}
		out[g.key] = cv
	}
	return out, nil
}

// value completes one field value of GraphQL type t.
func (e *executor) value(t *ast.Type, set ast.SelectionSet, v any, path ast.Path) (any, error) {
	if v == nil || (reflect.ValueOf(v).Kind() == reflect.Pointer && reflect.ValueOf(v).IsNil()) {
		if t.NonNull {
			return nil, &gqlerror.Error{Message: "non-null field resolved to null", Path: path,
				Extensions: map[string]any{"code": "INTERNAL_SERVER_ERROR"}}
		}
		return nil, nil
	}
	if t.Elem != nil {
		rv := reflect.ValueOf(v)
		if rv.Kind() != reflect.Slice {
			return nil, &gqlerror.Error{Message: "list field resolved to a non-list", Path: path}
		}
		out := make([]any, rv.Len())
		for i := range out {
			item, err := e.value(t.Elem, set, rv.Index(i).Interface(), append(append(ast.Path{}, path...), ast.PathIndex(i)))
			if err != nil {
				return nil, err
			}
			out[i] = item
		}
		return out, nil
	}
	if len(set) == 0 {
		return v, nil // a scalar or an enum, including JSON
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, &gqlerror.Error{Message: "object field resolved to a non-object", Path: path}
	}
	typeName := t.NamedType
	if tn, ok := obj["__typename"].(string); ok {
		typeName = tn
	}
	return e.object(set, typeName, obj, path)
}
