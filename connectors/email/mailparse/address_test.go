package mailparse

import (
	"reflect"
	"testing"
)

func TestParseAddress(t *testing.T) {
	cases := []struct {
		in   string
		want Address
		ok   bool
	}{
		{`=?UTF-8?B?0JjQstCw0L0=?= (Support) <ivan@example.ru>`, Address{"Иван", "ivan@example.ru"}, true},
		{`"Ann" <Ann@Example.COM>`, Address{"Ann", "ann@example.com"}, true},
		{`John Q. Public <jqp@example.com>`, Address{"John Q. Public", "jqp@example.com"}, true},
		{`Dr. J. R. Smith, PhD <smith@example.com>`, Address{"Dr. J. R. Smith, PhD", "smith@example.com"}, true},
		{`"=?utf-8?Q?J=C3=B6rg?=" <joerg@example.de>`, Address{"Jörg", "joerg@example.de"}, true},
		{`=?windows-1251?B?yOLg7SDP5fLw7uI=?= <ivan@example.ru>`, Address{"Иван Петров", "ivan@example.ru"}, true},
		{`ivan@example.ru (Ivan Petrov)`, Address{"Ivan Petrov", "ivan@example.ru"}, true},
		{`<a@example.com> trailing garbage`, Address{"", "a@example.com"}, true},
		{`Broken <b@example.com`, Address{"Broken", "b@example.com"}, true},
		{`mailto:c@example.com`, Address{"", "c@example.com"}, true},
		{`"c@example.com" <c@example.com>`, Address{"", "c@example.com"}, true},
		{`(Support Team) <team@example.com>`, Address{"Support Team", "team@example.com"}, true},
		{`Müller <mueller@example.de>`, Address{"Müller", "mueller@example.de"}, true},
		{`no address here`, Address{}, false},
		{`broken@@`, Address{}, false},
		{``, Address{}, false},
	}
	for _, c := range cases {
		got, ok := ParseAddress(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("ParseAddress(%q) = %+v, %v; want %+v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestParseAddressList(t *testing.T) {
	cases := []struct {
		in   string
		want []Address
	}{
		{`a@example.com, "B, Bee" <b@example.com>`, []Address{{"", "a@example.com"}, {"B, Bee", "b@example.com"}}},
		{`Doe, John <john@example.com>, Jane <jane@example.com>`, []Address{{"Doe, John", "john@example.com"}, {"Jane", "jane@example.com"}}},
		{`undisclosed-recipients:;`, nil},
		{`Team: a@example.com, b@example.com;, c@example.com`, []Address{{"", "a@example.com"}, {"", "b@example.com"}, {"", "c@example.com"}}},
		{`a@example.com; b@example.com`, []Address{{"", "a@example.com"}, {"", "b@example.com"}}},
		{`=?UTF-8?B?0JjQstCw0L0=?= (Support) <ivan@example.ru>, junk, <x@example.org>`, []Address{{"Иван", "ivan@example.ru"}, {"", "x@example.org"}}},
		{`"Quoted, with <brackets>" <q@example.com>`, []Address{{"Quoted, with <brackets>", "q@example.com"}}},
		{``, nil},
	}
	for _, c := range cases {
		if got := ParseAddressList(c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParseAddressList(%q) = %+v; want %+v", c.in, got, c.want)
		}
	}
}
