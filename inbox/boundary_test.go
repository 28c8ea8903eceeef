package inbox_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// storeFile reports whether a file of package inbox is part of the store:
// store.go and store_*.go. Only these talk to the database.
func storeFile(name string) bool {
	return name == "store.go" || strings.HasPrefix(name, "store_")
}

// storeImport reports whether an import path is the MongoDB driver or its
// bson package, which only the store may use.
func storeImport(path string) bool {
	return strings.HasPrefix(path, "go.mongodb.org/mongo-driver/")
}

// TestOneStoreBoundary keeps every query behind the named methods of
// Store: a service file of package inbox (any non-test .go file but
// store.go and store_*.go) neither imports the driver or bson nor reaches
// into the Store's fields (its collections) as x.store.<field>.
func TestOneStoreBoundary(t *testing.T) {
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	files := map[string]*ast.File{}
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		files[name] = f
	}
	fields := storeFields(t, files["store.go"])
	service := 0
	for name, f := range files {
		if storeFile(name) {
			continue
		}
		service++
		for _, imp := range f.Imports {
			path, err := strconv.Unquote(imp.Path.Value)
			if err != nil {
				t.Fatal(err)
			}
			if storeImport(path) {
				t.Errorf("%s imports %s: only store.go and store_*.go talk to the database; add a named Store method", name, path)
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok || !fields[sel.Sel.Name] {
				return true
			}
			if inner, ok := sel.X.(*ast.SelectorExpr); ok && inner.Sel.Name == "store" {
				t.Errorf("%s: uses the Store's field %s directly; add a named Store method", fset.Position(sel.Pos()), sel.Sel.Name)
			}
			return true
		})
	}
	if service < 10 {
		t.Fatalf("checked %d service files: not run in the inbox package directory?", service)
	}
}

// storeFields are the field names of type Store, declared in store.go.
func storeFields(t *testing.T, f *ast.File) map[string]bool {
	t.Helper()
	if f == nil {
		t.Fatal("no store.go")
	}
	fields := map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		ts, ok := n.(*ast.TypeSpec)
		if !ok || ts.Name.Name != "Store" {
			return true
		}
		for _, fl := range ts.Type.(*ast.StructType).Fields.List {
			for _, id := range fl.Names {
				fields[id.Name] = true
			}
		}
		return false
	})
	if len(fields) == 0 {
		t.Fatal("store.go declares no Store struct")
	}
	return fields
}
