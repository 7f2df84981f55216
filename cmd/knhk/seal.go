package main

import (
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"

	"github.com/knhk/knhk/lockchain"
	"github.com/knhk/knhk/pipeline"
)

// lockchainKeyName names the keys knhk run makes on first use; a log's
// checkpoints carry it in their origin line.
const lockchainKeyName = "knhk"

// logSealer seals a run's epochs into a shard's lockchain log: each epoch
// appended with extension lines that say what it covers, synced when the
// pipeline says (group commit).
type logSealer struct {
	log *lockchain.Log
	ext lockchain.Extensions // source, then hooks and through, set per epoch
}

// Seal appends the epoch.
func (s *logSealer) Seal(e *pipeline.Epoch) error {
	s.ext[1].Value = e.Hooks.Version()
	s.ext[2].Value = strconv.FormatInt(e.Through, 10)
	_, err := s.log.Append(e.N, e.Receipts, s.ext)
	return err
}

// Sync makes the appended epochs durable.
func (s *logSealer) Sync() error { return s.log.Sync() }

// openLockchain opens the log of the run's shard in dir for cfg (key from
// keyPath, or dir/knhk.key made on first use), reports on stderr what the
// check on open found, and makes the run continue the log's numbering.
func openLockchain(log *slog.Logger, dir, keyPath, source string, cfg *pipeline.Config) (*lockchain.Log, error) {
	if keyPath == "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		keyPath = filepath.Join(dir, "knhk.key")
	}
	// A key of any name is taken as it is; a new one is named knhk.
	key, err := lockchain.LoadKey(keyPath)
	if errors.Is(err, fs.ErrNotExist) {
		if key, err = lockchain.WriteKey(keyPath, lockchainKeyName); err == nil {
			log.Info("made the lockchain key (mode 0600) and its public key", "key", keyPath, "public", keyPath+".pub")
		}
	}
	if err != nil {
		return nil, err
	}
	lc, rec, err := lockchain.Open(dir, lockchain.Options{Shard: cfg.ShardID, Key: key})
	if err != nil {
		return nil, err
	}
	if rec.Cut != nil {
		log.Warn(rec.String()) // a torn tail cut back: never silent
	} else {
		log.Info(rec.String())
	}
	if st := rec.State; st.Sealed {
		// Continue the log: the next epoch, and span ids after its receipts
		// (one span id per evaluation, every evaluation sealed).
		cfg.FirstCycle, cfg.FirstSpan = (st.Epoch+1)*8, st.Receipts
	}
	cfg.Sealer = &logSealer{log: lc, ext: lockchain.Extensions{
		{Key: "source", Value: source},
		{Key: "hooks"},
		{Key: "through", Value: "0"},
	}}
	return lc, nil
}
