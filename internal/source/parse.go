package source

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"
)

// callbackError carries the callback's error through the parser, so that
// History can return it unwrapped.
type callbackError struct{ err error }

func (e callbackError) Error() string { return e.err.Error() }

// parser reads the output of the git log command built by logArgs: for each
// commit a marker line, then for each changed file a "diff --git" header
// and, unless the file is binary or only renamed, "@@" hunks whose line
// counts say exactly how many body lines follow. Counting the body lines is
// what makes the parse unambiguous: an added line "+++ x" or "+diff --git"
// is content, never a header.
type parser struct {
	fn     func(Hunk) error
	rename func(Rename) // may be nil
	stats  Stats
	long   []byte // a line longer than the reader's buffer

	commit, author, email string
	date                  time.Time
	inCommit              bool

	inFile      bool
	renameFrom  string
	path        string
	pathKnown   bool
	skipFile    bool // deleted, submodule or symbolic link: bodies are read, not emitted
	fileEmitted bool

	oldLeft, newLeft int // body lines still expected in the current hunk
	nextLine         int // new-file line number of the next added or context line
	runStart         int // new-file line number of run's first line
	run              []byte
}

func newParser(fn func(Hunk) error) *parser {
	return &parser{fn: fn}
}

// parse reads the log to its end, calling p.fn for each run of added lines.
func (p *parser) parse(r *bufio.Reader) error {
	for {
		line, err := p.readLine(r)
		if len(line) > 0 {
			if perr := p.line(line); perr != nil {
				return perr
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	if p.oldLeft > 0 || p.newLeft > 0 {
		return fmt.Errorf("commit %s: %s: output ends inside a hunk", p.commit, p.path)
	}
	return p.flush()
}

// readLine returns the next line with its "\n" (none at the end of the
// output), however long. The result is valid until the next call.
func (p *parser) readLine(r *bufio.Reader) ([]byte, error) {
	line, err := r.ReadSlice('\n')
	if err != bufio.ErrBufferFull {
		return line, err
	}
	if cap(p.long) > maxHunkBytes {
		p.long = nil // do not keep an exceptional line's buffer for the rest of the walk
	}
	p.long = append(p.long[:0], line...)
	for {
		line, err = r.ReadSlice('\n')
		p.long = append(p.long, line...)
		if err != bufio.ErrBufferFull {
			return p.long, err
		}
	}
}

func (p *parser) line(line []byte) error {
	if p.oldLeft > 0 || p.newLeft > 0 {
		return p.body(line)
	}
	switch {
	case bytes.HasPrefix(line, []byte(commitMarker)):
		return p.commitLine(line[len(commitMarker):])
	case !p.inCommit:
		// Nothing before the first commit belongs to the history.
	case bytes.HasPrefix(line, []byte("diff --git ")):
		p.inFile = true
		p.renameFrom = ""
		p.path, p.pathKnown = "", false
		p.skipFile, p.fileEmitted = false, false
	case !p.inFile:
	case bytes.HasPrefix(line, []byte("@@ ")):
		return p.hunkHeader(line)
	case bytes.HasPrefix(line, []byte("+++ ")):
		return p.newPath(trimEOL(line[4:]))
	case bytes.HasPrefix(line, []byte("--- ")):
	case line[0] == '+' || line[0] == '-' || line[0] == ' ' || line[0] == '@':
		// A body line beyond its hunk's counts, or a combined diff.
		return fmt.Errorf("commit %s: %s: unexpected line %.40q outside a hunk", p.commit, p.path, line)
	case bytes.HasPrefix(line, []byte("Binary files ")), bytes.HasPrefix(line, []byte("GIT binary patch")):
		if !p.skipFile && !bytes.HasSuffix(trimEOL(line), []byte(" and /dev/null differ")) {
			p.stats.Binary++
		}
		p.skipFile = true
	case bytes.HasPrefix(line, []byte("rename from ")):
		from, err := headerPath(trimEOL(line[len("rename from "):]))
		if err != nil {
			return fmt.Errorf("commit %s: rename from %s: %w", p.commit, trimEOL(line), err)
		}
		p.renameFrom = from
	case bytes.HasPrefix(line, []byte("rename to ")):
		to, err := headerPath(trimEOL(line[len("rename to "):]))
		if err != nil {
			return fmt.Errorf("commit %s: rename to %s: %w", p.commit, trimEOL(line), err)
		}
		if p.renameFrom != "" && p.rename != nil {
			p.rename(Rename{Commit: p.commit, Date: p.date, From: p.renameFrom, To: to})
		}
		p.renameFrom = ""
	case bytes.HasPrefix(line, []byte("deleted file mode ")):
		p.skipFile = true
	case bytes.HasPrefix(line, []byte("new file mode ")), bytes.HasPrefix(line, []byte("new mode ")), bytes.HasPrefix(line, []byte("index ")):
		// The new mode is the last field; the index line has one only
		// when the mode did not change.
		if notText(lastField(trimEOL(line))) {
			p.skipFile = true
		}
	}
	return nil
}

// commitLine starts a commit: "%H NUL %an NUL %ae NUL %aI".
func (p *parser) commitLine(rest []byte) error {
	fields := bytes.Split(trimEOL(rest), []byte{0})
	if len(fields) != 4 || len(fields[0]) == 0 {
		return fmt.Errorf("malformed commit line %q", rest)
	}
	date, err := time.Parse(time.RFC3339, string(fields[3]))
	if err != nil {
		return fmt.Errorf("commit %s: date: %w", fields[0], err)
	}
	p.commit, p.author, p.email, p.date = string(fields[0]), string(fields[1]), string(fields[2]), date
	p.inCommit, p.inFile = true, false
	p.stats.Commits++
	return nil
}

// newPath reads the path of a "+++ " line: "b/PATH", a C-quoted "b/PATH",
// or /dev/null for a deletion. git ends an unquoted path that contains a
// space with a tab.
func (p *parser) newPath(s []byte) error {
	if string(s) == "/dev/null" {
		p.skipFile = true
		return nil
	}
	var path []byte
	if len(s) > 0 && s[0] == '"' {
		var err error
		if path, err = unquote(s); err != nil {
			return fmt.Errorf("commit %s: path %s: %w", p.commit, s, err)
		}
	} else {
		path = bytes.TrimSuffix(s, []byte("\t"))
	}
	path, ok := bytes.CutPrefix(path, []byte("b/"))
	if !ok || len(path) == 0 {
		return fmt.Errorf("commit %s: unexpected new path %q", p.commit, s)
	}
	p.path, p.pathKnown = string(path), true
	return nil
}

// hunkHeader reads "@@ -OLD[,N] +NEW[,N] @@ ...".
func (p *parser) hunkHeader(line []byte) error {
	rest := line[len("@@ "):]
	oldStart, oldCount, rest, ok1 := hunkRange(rest, '-')
	newStart, newCount, rest, ok2 := hunkRange(rest, '+')
	if !ok1 || !ok2 || !bytes.HasPrefix(rest, []byte("@@")) {
		return fmt.Errorf("commit %s: malformed hunk header %q", p.commit, trimEOL(line))
	}
	if newCount > 0 && newStart < 1 || oldCount > 0 && oldStart < 1 {
		return fmt.Errorf("commit %s: hunk header %q: line 0 with lines", p.commit, trimEOL(line))
	}
	if !p.pathKnown && !p.skipFile {
		return fmt.Errorf("commit %s: hunk without a file name", p.commit)
	}
	p.oldLeft, p.newLeft = oldCount, newCount
	p.nextLine = newStart
	return nil
}

// hunkRange reads "SIGN START[,COUNT] " from the front of s.
func hunkRange(s []byte, sign byte) (start, count int, rest []byte, ok bool) {
	if len(s) == 0 || s[0] != sign {
		return 0, 0, nil, false
	}
	s = s[1:]
	start, s, ok = number(s)
	if !ok {
		return 0, 0, nil, false
	}
	count = 1
	if len(s) > 0 && s[0] == ',' {
		if count, s, ok = number(s[1:]); !ok {
			return 0, 0, nil, false
		}
	}
	if len(s) == 0 || s[0] != ' ' {
		return 0, 0, nil, false
	}
	return start, count, s[1:], true
}

// number reads a decimal number of at most 9 digits from the front of s.
func number(s []byte) (int, []byte, bool) {
	n, i := 0, 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		if i == 9 {
			return 0, nil, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, s[i:], i > 0
}

// body handles one line inside a hunk.
func (p *parser) body(line []byte) error {
	switch line[0] {
	case '+':
		if p.newLeft == 0 {
			return fmt.Errorf("commit %s: %s: more added lines than the hunk header says", p.commit, p.path)
		}
		p.newLeft--
		if !p.skipFile {
			if len(p.run) == 0 {
				p.runStart = p.nextLine
			}
			p.run = append(p.run, line[1:]...)
			if len(p.run) == 0 || p.run[len(p.run)-1] != '\n' {
				p.run = append(p.run, '\n')
			}
		}
		p.nextLine++
		if len(p.run) >= maxHunkBytes {
			if err := p.flush(); err != nil {
				return err
			}
		}
	case '-':
		if p.oldLeft == 0 {
			return fmt.Errorf("commit %s: %s: more removed lines than the hunk header says", p.commit, p.path)
		}
		p.oldLeft--
	case ' ':
		if p.oldLeft == 0 || p.newLeft == 0 {
			return fmt.Errorf("commit %s: %s: more context lines than the hunk header says", p.commit, p.path)
		}
		p.oldLeft--
		p.newLeft--
		p.nextLine++
		if err := p.flush(); err != nil {
			return err
		}
	case '\\':
		// "\ No newline at end of file": the line before has none.
	default:
		return fmt.Errorf("commit %s: %s: unexpected line %.40q inside a hunk", p.commit, p.path, line)
	}
	if p.oldLeft == 0 && p.newLeft == 0 {
		return p.flush()
	}
	return nil
}

// flush hands the current run of added lines, if any, to the callback.
func (p *parser) flush() error {
	if len(p.run) == 0 {
		return nil
	}
	h := Hunk{
		Commit: p.commit, Author: p.author, Email: p.email, Date: p.date,
		Path: p.path, StartLine: p.runStart, Content: p.run,
	}
	err := p.fn(h)
	if errors.Is(err, errStopped) {
		return callbackError{err}
	}
	p.stats.Hunks++
	p.stats.AddedBytes += int64(len(p.run))
	if !p.fileEmitted {
		p.fileEmitted = true
		p.stats.Files++
	}
	p.runStart = p.nextLine
	if cap(p.run) > 2*maxHunkBytes {
		p.run = nil
	} else {
		p.run = p.run[:0]
	}
	if err != nil {
		return callbackError{err}
	}
	return nil
}

// headerPath reads a path of an extended header line ("rename from PATH"):
// verbatim, or C-quoted.
func headerPath(s []byte) (string, error) {
	if len(s) > 0 && s[0] == '"' {
		b, err := unquote(s)
		return string(b), err
	}
	if len(s) == 0 {
		return "", errors.New("empty path")
	}
	return string(s), nil
}

// notText reports whether a git file mode is one whose "content" is not a
// file's text: a submodule (gitlink) or a symbolic link.
func notText(mode []byte) bool {
	return string(mode) == "160000" || string(mode) == "120000"
}

func lastField(s []byte) []byte {
	if i := bytes.LastIndexByte(s, ' '); i >= 0 {
		return s[i+1:]
	}
	return s
}

func trimEOL(s []byte) []byte {
	s = bytes.TrimSuffix(s, []byte("\n"))
	return bytes.TrimSuffix(s, []byte("\r"))
}

// unquote decodes a path that git quoted C-style: "..." with \a \b \t \n
// \v \f \r \" \\ and three-digit octal escapes for bytes.
func unquote(s []byte) ([]byte, error) {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return nil, errors.New("unterminated quoted path")
	}
	s = s[1 : len(s)-1]
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '"' {
			return nil, errors.New("unescaped quote in quoted path")
		}
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		if i == len(s) {
			return nil, errors.New("quoted path ends with a backslash")
		}
		switch c = s[i]; c {
		case 'a':
			out = append(out, '\a')
		case 'b':
			out = append(out, '\b')
		case 't':
			out = append(out, '\t')
		case 'n':
			out = append(out, '\n')
		case 'v':
			out = append(out, '\v')
		case 'f':
			out = append(out, '\f')
		case 'r':
			out = append(out, '\r')
		case '"', '\\':
			out = append(out, c)
		case '0', '1', '2', '3':
			if i+2 >= len(s) || !isOctal(s[i+1]) || !isOctal(s[i+2]) {
				return nil, errors.New("bad octal escape in quoted path")
			}
			out = append(out, (c-'0')<<6|(s[i+1]-'0')<<3|(s[i+2]-'0'))
			i += 2
		default:
			return nil, fmt.Errorf("unknown escape \\%c in quoted path", c)
		}
	}
	return out, nil
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }
