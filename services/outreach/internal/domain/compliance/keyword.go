package compliance

import "strings"

// keywords are the inbound SMS commands, upper case, inner spaces single.
//
// Beyond the list the FCC's 2024 revocation rule names (STOP, QUIT, END,
// REVOKE, OPT OUT, CANCEL, UNSUBSCRIBE), the spellings carriers and
// Twilio also treat as opt-outs are stops: STOPALL, OPTOUT, OPT-OUT.
// Erring towards stop costs a lost text; erring the other way sends to
// someone who asked us not to. For the same reason start is only START
// and UNSTOP (not YES, which answers many questions).
var keywords = map[string]Keyword{
	"STOP": KeywordStop, "STOPALL": KeywordStop, "QUIT": KeywordStop, "END": KeywordStop,
	"REVOKE": KeywordStop, "OPT OUT": KeywordStop, "OPTOUT": KeywordStop, "OPT-OUT": KeywordStop,
	"CANCEL": KeywordStop, "UNSUBSCRIBE": KeywordStop,
	"START": KeywordStart, "UNSTOP": KeywordStart,
	"HELP": KeywordHelp,
}

// maxKeywordBody bounds the work on a message that cannot be a keyword:
// the longest keyword is 11 bytes, so a longer message must be mostly
// whitespace or punctuation to be one; 64 leaves room for that.
const maxKeywordBody = 64

// ParseKeyword reads an inbound SMS as a command. The whole message must
// be the keyword: surrounding whitespace is trimmed, inner whitespace runs
// (any Unicode space) count as one space, case is ignored (ASCII letters
// only: "ſtop" is not STOP), and trailing ".", "!" or "?" marks are
// dropped ("STOP.", "Stop!!"), since phones add them; "stop please",
// "STOP?!x" and "don't stop" are not keywords.
func ParseKeyword(body string) Keyword {
	s := strings.TrimSpace(body)
	if len(s) > maxKeywordBody {
		return KeywordNone
	}
	s = strings.TrimRight(s, ".!?")
	s = strings.Join(strings.Fields(s), " ")
	var b [maxKeywordBody]byte
	if len(s) > len(b) {
		return KeywordNone
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		b[i] = c
	}
	return keywords[string(b[:len(s)])]
}
