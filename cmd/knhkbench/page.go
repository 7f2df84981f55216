package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/knhk/knhk/bench"
)

// pageFile is the --html file, opened before measuring.
type pageFile struct {
	f       *os.File
	created bool // it did not exist: a failed run removes it
}

// createPage opens path for the page, creating it or truncating what is
// there, as a shell redirection would.
func createPage(path string) (*pageFile, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
	if err == nil {
		return &pageFile{f: f, created: true}, nil
	}
	if errors.Is(err, fs.ErrExist) {
		if f, err = os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0); err == nil {
			return &pageFile{f: f}, nil
		}
	}
	return nil, fmt.Errorf("--html: %w", err)
}

// write writes the page of rep and closes the file. On an error a file this
// run created is removed, so no half page is left behind; one that was
// there before (a device, a pipe, a file) is left as the write left it.
func (p *pageFile) write(rep *bench.Report) error {
	err := rep.WriteHTML(p.f)
	if cerr := p.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return errors.Join(fmt.Errorf("writing the page: %w", err), p.remove())
	}
	return nil
}

// discard closes the file of a run that failed before its page, removing
// it if this run created it. A nil page discards nothing.
func (p *pageFile) discard() error {
	if p == nil {
		return nil
	}
	err := p.f.Close()
	return errors.Join(err, p.remove())
}

func (p *pageFile) remove() error {
	if !p.created {
		return nil
	}
	if err := os.Remove(p.f.Name()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
