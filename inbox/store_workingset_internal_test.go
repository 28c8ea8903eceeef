package inbox

import (
	"reflect"
	"testing"
	"time"
)

// TestCloneSharesNothing sets every pointer of a conversation and checks
// that its clone shares none of them, so that a field added later without
// a copy in clone fails here.
func TestCloneSharesNothing(t *testing.T) {
	var c Conversation
	var fill func(v reflect.Value)
	fill = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Pointer:
			v.Set(reflect.New(v.Type().Elem()))
			fill(v.Elem())
		case reflect.Struct:
			if v.Type() == reflect.TypeFor[time.Time]() {
				return
			}
			for i := range v.NumField() {
				fill(v.Field(i))
			}
		case reflect.Slice:
			v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		case reflect.Map:
			t.Fatalf("Conversation holds a %s: clone must copy it and this test fill it", v.Type())
		}
	}
	fill(reflect.ValueOf(&c).Elem())
	cp := c.clone()
	var same func(a, b reflect.Value, path string)
	same = func(a, b reflect.Value, path string) {
		switch a.Kind() {
		case reflect.Pointer:
			if a.Pointer() == b.Pointer() {
				t.Errorf("%s is shared by the clone", path)
			}
			same(a.Elem(), b.Elem(), path)
		case reflect.Slice:
			if a.Pointer() == b.Pointer() {
				t.Errorf("%s is shared by the clone", path)
			}
		case reflect.Struct:
			if a.Type() == reflect.TypeFor[time.Time]() {
				return // its location is shared and never changed
			}
			for i := range a.NumField() {
				same(a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name)
			}
		}
	}
	same(reflect.ValueOf(&c).Elem(), reflect.ValueOf(cp).Elem(), "Conversation")
}
