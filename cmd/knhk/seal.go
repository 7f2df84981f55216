package main

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/knhk/knhk/connectors"
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

// step is the sealer as a stream shard's seal step: each epoch sealed and
// synced before its input is committed. An epoch the log sealed already is
// a replay (a restart reads again from the last commit, and repeats the
// epochs sealed after it with the same numbers): it is reported, not
// sealed twice.
func (s *logSealer) step(log *slog.Logger) connectors.Step {
	return func(_ context.Context, sl *connectors.Sealed) error {
		if st := s.log.State(); st.Sealed && sl.Epoch.N <= st.Epoch {
			log.Info("replay: the epoch is in the lockchain already", "source", sl.Source, "shard", sl.Shard, "epoch", sl.Epoch.N, "sealed", st.Epoch)
			return nil
		}
		if err := s.Seal(sl.Epoch); err != nil {
			return err
		}
		return s.Sync()
	}
}

// lockchainKey returns the checkpoints' signing key: from keyPath, or
// dir/knhk.key made on first use (mode 0600).
func lockchainKey(log *slog.Logger, dir, keyPath string) (*lockchain.Key, error) {
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
	return key, err
}

// openSealer opens the log of shard in dir and reports what the check on
// open found.
func openSealer(log *slog.Logger, dir string, key *lockchain.Key, shard uint32, source string) (*logSealer, error) {
	lc, rec, err := lockchain.Open(dir, lockchain.Options{Shard: shard, Key: key})
	if err != nil {
		return nil, err
	}
	if rec.Cut != nil {
		log.Warn(rec.String()) // a torn tail cut back: never silent
	} else {
		log.Info(rec.String())
	}
	return &logSealer{log: lc, ext: lockchain.Extensions{
		{Key: "source", Value: source},
		{Key: "hooks"},
		{Key: "through", Value: "0"},
	}}, nil
}

// openLockchain opens the log of the run's shard in dir for cfg (key from
// keyPath, or dir/knhk.key made on first use), makes the run continue the
// log's numbering and seal into it.
func openLockchain(log *slog.Logger, dir, keyPath, source string, cfg *pipeline.Config) (*logSealer, error) {
	key, err := lockchainKey(log, dir, keyPath)
	if err != nil {
		return nil, err
	}
	s, err := openSealer(log, dir, key, cfg.ShardID, source)
	if err != nil {
		return nil, err
	}
	if st := s.log.State(); st.Sealed {
		// Continue the log: the next epoch, and span ids after its receipts
		// (one span id per evaluation, every evaluation sealed).
		cfg.FirstCycle, cfg.FirstSpan = (st.Epoch+1)*8, st.Receipts
	}
	cfg.Sealer = s
	return s, nil
}

// partitionLogs are the lockchain logs of a consumer group member's
// shards, one per partition, opened when the partition is first assigned
// and kept across reassignments until the run ends.
type partitionLogs struct {
	log     *slog.Logger
	dir     string
	key     *lockchain.Key
	source  string // the topic
	mu      sync.Mutex
	sealers map[uint32]*logSealer
}

// step returns the seal step of partition's shard. A log that cannot be
// opened fails every seal of the shard with the reason (its input is then
// never committed).
func (p *partitionLogs) step(partition uint32) connectors.Step {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.sealers[partition]
	if !ok {
		var err error
		if s, err = openSealer(p.log, p.dir, p.key, partition, p.source+"/"+strconv.FormatUint(uint64(partition), 10)); err != nil {
			return func(context.Context, *connectors.Sealed) error { return err }
		}
		p.sealers[partition] = s
	}
	return s.step(p.log)
}

// logOf returns the log of partition, nil when none is open.
func (p *partitionLogs) logOf(partition uint32) *lockchain.Log {
	p.mu.Lock()
	defer p.mu.Unlock()
	if s := p.sealers[partition]; s != nil {
		return s.log
	}
	return nil
}

// close closes every log.
func (p *partitionLogs) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range p.sealers {
		s.log.Close()
	}
}
