package compliance

import (
	"strings"
	"testing"
)

func TestParseKeyword(t *testing.T) {
	t.Parallel()
	tests := []struct {
		body string
		want Keyword
	}{
		{"STOP", KeywordStop},
		{"stop", KeywordStop},
		{"Stop", KeywordStop},
		{"  stop \n", KeywordStop},
		{"\u00a0STOP\u00a0", KeywordStop}, // no-break spaces, as some phones send
		{"STOP.", KeywordStop},
		{"stop!", KeywordStop},
		{"Stop!!", KeywordStop},
		{"STOP?", KeywordStop},
		{"STOP .", KeywordStop},
		{"quit", KeywordStop},
		{"END", KeywordStop},
		{"revoke", KeywordStop},
		{"opt out", KeywordStop},
		{"OPT   OUT", KeywordStop},
		{"opt\tout", KeywordStop},
		{"OPT\u00a0OUT", KeywordStop},
		{"Opt out.", KeywordStop},
		{"optout", KeywordStop},
		{"opt-out", KeywordStop},
		{"cancel", KeywordStop},
		{"Unsubscribe", KeywordStop},
		{"STOPALL", KeywordStop},
		{"START", KeywordStart},
		{"start!", KeywordStart},
		{"unstop", KeywordStart},
		{"HELP", KeywordHelp},
		{"help?", KeywordHelp},
		// not keywords: more than the keyword, less, or something like it
		{"stop please", KeywordNone},
		{"please stop", KeywordNone},
		{"don't stop", KeywordNone},
		{"STOP STOP", KeywordNone},
		{"STOP,", KeywordNone},
		{".STOP", KeywordNone},
		{"STOP?!x", KeywordNone},
		{"S T O P", KeywordNone},
		{"STOPP", KeywordNone},
		{"opt", KeywordNone},
		{"", KeywordNone},
		{"   ", KeywordNone},
		{"...", KeywordNone},
		{"yes", KeywordNone},
		{"info", KeywordNone},
		{"\u017ftop", KeywordNone},  // "ſtop": folds to STOP in Unicode, not in ASCII
		{"ＳＴＯＰ", KeywordNone},       // full-width letters
		{"STOP\u200b", KeywordNone}, // a zero-width space is not a space
		{"STOP😀", KeywordNone},
		{"STOP" + strings.Repeat(" ", 100), KeywordStop},        // trailing padding is trimmed before the length bound
		{"OPT" + strings.Repeat(" ", 100) + "OUT", KeywordNone}, // beyond the bound
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			t.Parallel()
			if got := ParseKeyword(tt.body); got != tt.want {
				t.Fatalf("ParseKeyword(%q) = %q, want %q", tt.body, got, tt.want)
			}
		})
	}
}
