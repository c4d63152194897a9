// SPDX-License-Identifier: GPL-2.0
//
// The Go side of bbolt_go_test.sh: databases written by bbolt itself,
// and bbolt's own reading of them, for the reader in helper/bbolt.c to
// be compared with. Built in GOPATH mode against Debian's
// golang-github-coreos-bbolt-dev (go.etcd.io/bbolt 1.3.6).
//
//	bbolt_go build FILE PAGESIZE [nofreelist]
//	bbolt_go dump FILE
//	bbolt_go write FILE SECONDS
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bbolt_go:", err)
		os.Exit(1)
	}
}

func bucket(b *bolt.Bucket, name string) *bolt.Bucket {
	c, err := b.CreateBucketIfNotExists([]byte(name))
	must(err)
	return c
}

// A containerd-like tree, a bucket big enough for branch pages at any
// page size, values that need overflow pages, inline and empty buckets.
func fill(tx *bolt.Tx) error {
	v1, err := tx.CreateBucketIfNotExists([]byte("v1"))
	must(err)
	big := bucket(v1, "big")
	for i := 0; i < 5000; i++ {
		k := fmt.Sprintf("key%06d", i*7%5000)
		must(big.Put([]byte(k), bytes.Repeat([]byte{byte(i)}, i%97)))
	}
	images := bucket(bucket(v1, "default"), "images")
	for i := 0; i < 40; i++ {
		img := bucket(images, fmt.Sprintf("docker.io/library/demo%d:latest", i))
		must(img.Put([]byte("createdat"), []byte{1, 0, 0, 0, 14, 0xdb,
			0xba, 0x13, 0xc0, 0, 0, 0, 0, 0xff, 0xff}))
		target := bucket(img, "target")
		must(target.Put([]byte("size"), []byte{0xbc, 0x0b}))
		bucket(img, "labels")
		for j := 0; j < i%5; j++ {
			_, err := img.NextSequence()
			must(err)
		}
	}
	bucket(v1, "empty")
	ov := bucket(tx.Bucket([]byte("v1")), "ov")
	must(ov.Put([]byte("blob"), bytes.Repeat([]byte("x"), 20000)))
	must(ov.Put([]byte("blob2"), bytes.Repeat([]byte("y"), 9000)))
	inv := bucket(tx.Bucket([]byte("v1")), "inv")
	var zero [8]byte
	must(inv.Put([]byte("a"), zero[:]))
	must(inv.Put([]byte("b"), zero[:]))
	must(bucket(inv, "sub").Put([]byte("c"), zero[:]))
	return nil
}

// Later transactions delete and add, so pages are freed and reused.
func churn(tx *bolt.Tx, r int) error {
	v1 := tx.Bucket([]byte("v1"))
	big := v1.Bucket([]byte("big"))
	for i := r; i < 5000; i += 3 + r {
		must(big.Delete([]byte(fmt.Sprintf("key%06d", i))))
	}
	must(bucket(v1, fmt.Sprintf("round%d", r)).Put([]byte("n"), []byte{byte(r)}))
	return nil
}

func build(path string, psize int, nofreelist bool) {
	os.Remove(path)
	db, err := bolt.Open(path, 0644, &bolt.Options{PageSize: psize,
		NoFreelistSync: nofreelist})
	must(err)
	must(db.Update(fill))
	for r := 0; r < 5; r++ {
		must(db.Update(func(tx *bolt.Tx) error { return churn(tx, r) }))
	}
	must(db.Close())
}

func dump(b *bolt.Bucket, path string) {
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		p := fmt.Sprintf("%s/%x", path, k)
		if v == nil {
			s := b.Bucket(k)
			fmt.Printf("%s bucket seq=%d\n", p, s.Sequence())
			dump(s, p)
		} else {
			fmt.Printf("%s value len=%d sha=%x\n", p, len(v), sha256.Sum256(v))
		}
	}
}

func dumpFile(path string) {
	db, err := bolt.Open(path, 0644, &bolt.Options{ReadOnly: true})
	must(err)
	must(db.View(func(tx *bolt.Tx) error {
		fmt.Printf("txid=%d\n", tx.ID())
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			p := fmt.Sprintf("/%x", name)
			fmt.Printf("%s bucket seq=%d\n", p, b.Sequence())
			dump(b, p)
			return nil
		})
	}))
	must(db.Close())
}

// Commit about every 10 ms (no fsync) for secs seconds, each commit
// changing v1/big and setting v1/inv/a, b and sub/c to its number.
func write(path string, secs int) {
	db, err := bolt.Open(path, 0644, &bolt.Options{NoSync: true})
	must(err)
	end := time.Now().Add(time.Duration(secs) * time.Second)
	n := uint64(0)
	for time.Now().Before(end) {
		n++
		must(db.Update(func(tx *bolt.Tx) error {
			v1 := tx.Bucket([]byte("v1"))
			big := v1.Bucket([]byte("big"))
			for i := 0; i < 50; i++ {
				k := []byte(fmt.Sprintf("key%06d", rand.Intn(20000)))
				if rand.Intn(3) == 0 {
					must(big.Delete(k))
				} else {
					must(big.Put(k, make([]byte, rand.Intn(300))))
				}
			}
			var b [8]byte
			binary.LittleEndian.PutUint64(b[:], n)
			inv := v1.Bucket([]byte("inv"))
			must(inv.Put([]byte("a"), b[:]))
			must(inv.Put([]byte("b"), b[:]))
			return inv.Bucket([]byte("sub")).Put([]byte("c"), b[:])
		}))
		time.Sleep(10 * time.Millisecond)
	}
	must(db.Close())
	fmt.Println(n)
}

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: bbolt_go build|dump|write FILE [ARG]")
		os.Exit(1)
	}
	arg := 0
	if len(os.Args) > 3 {
		var err error
		arg, err = strconv.Atoi(os.Args[3])
		must(err)
	}
	switch os.Args[1] {
	case "build":
		build(os.Args[2], arg, len(os.Args) > 4 && os.Args[4] == "nofreelist")
	case "dump":
		dumpFile(os.Args[2])
	case "write":
		write(os.Args[2], arg)
	default:
		fmt.Fprintln(os.Stderr, "bbolt_go: unknown command", os.Args[1])
		os.Exit(1)
	}
}
