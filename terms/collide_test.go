package terms_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/knhk/knhk/internal/testkit"
	"github.com/knhk/knhk/terms"
)

// With the public default key anyone can find two terms of one id, as
// testkit.Colliding are: the dictionary keeps the first and refuses the
// second, naming both. Under another key the two are two ids.
func TestDefaultKeyCollides(t *testing.T) {
	a, b := testkit.Colliding[0], testkit.Colliding[1]
	h := terms.NewHasher(terms.DefaultKey)
	ida, err := h.TermID(a)
	require.NoError(t, err)
	idb, err := h.TermID(b)
	require.NoError(t, err)
	require.Equal(t, ida, idb, "the pair collides under the default key")

	d := terms.NewDictionary(h)
	got, err := d.Add(a)
	require.NoError(t, err)
	assert.Equal(t, ida, got)
	_, err = d.Add(b)
	var ce *terms.CollisionError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, ida, ce.ID)
	assert.Equal(t, a, ce.Old.Text)
	assert.Equal(t, b, ce.New.Text)
	assert.ErrorContains(t, err, "id collision")
	assert.Equal(t, 1, d.Len(), "the second term is not added")

	var key terms.Key
	key[0] = 1
	other := terms.NewDictionary(terms.NewHasher(key))
	ida, err = other.Add(a)
	require.NoError(t, err)
	idb, err = other.Add(b)
	require.NoError(t, err)
	assert.NotEqual(t, ida, idb, "another key, two ids")
}
