package inbox_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestEveryWriteOfACachedCollectionMarksItChanged: in exclusive mode the
// lines and agents are read from a copy (store_smallcache.go) that only a
// write method's changed() call makes stale; a write without it would
// leave readers with old data. Every Store method that writes one of them
// must call it.
func TestEveryWriteOfACachedCollectionMarksItChanged(t *testing.T) {
	files, err := filepath.Glob("store*.go")
	if err != nil {
		t.Fatal(err)
	}
	write := regexp.MustCompile(`s\.(lines|agents)\.(InsertOne|InsertMany|ReplaceOne|UpdateOne|UpdateMany|DeleteOne|DeleteMany|FindOneAndUpdate|FindOneAndReplace|FindOneAndDelete|BulkWrite)\(`)
	checked := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, fn := range strings.Split(string(src), "\nfunc ")[1:] {
			for _, m := range write.FindAllStringSubmatch(fn, -1) {
				checked++
				if !strings.Contains(fn, "defer s."+m[1]+"Cache.changed()") {
					t.Errorf("%s: func %s writes %s without defer s.%sCache.changed()", f, strings.SplitN(fn, "{", 2)[0], m[1], m[1])
				}
			}
		}
	}
	if checked < 10 {
		t.Fatalf("found only %d writes of lines and agents: the check lost track of the code", checked)
	}
}
