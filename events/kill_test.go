package events_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/events"
)

// TestDispatcher_KilledBeforeMatching: a server is killed (SIGKILL) right
// after committing events, before any dispatcher matched them against the
// webhooks; the next server's dispatcher delivers every one, once.
func TestDispatcher_KilledBeforeMatching(t *testing.T) {
	if path := os.Getenv("TRUCE_TEST_KILLED_PUBLISHER"); path != "" {
		killedPublisher(path)
		return
	}
	path := filepath.Join(t.TempDir(), "truce.db")
	s := openStore(t, path)
	addr := freeAddr(t)
	hook := createHook(t, s, "p1", "http://"+addr+"/hook", "alert")
	s.Close()

	cmd := exec.Command(os.Args[0], "-test.run=^TestDispatcher_KilledBeforeMatching$")
	cmd.Env = append(os.Environ(), "TRUCE_TEST_KILLED_PUBLISHER="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if id, err := strconv.ParseInt(sc.Text(), 10, 64); err == nil {
			ids = append(ids, id)
		}
	}
	err = cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("the publisher was not killed: %v", err)
	}
	if len(ids) != 10 {
		t.Fatalf("the publisher committed %d events before it was killed, want 10", len(ids))
	}

	s = openStore(t, path)
	rc := &receiver{t: t, secret: hook.Secret, got: map[int64]int{}}
	rc.up(addr)
	d := &events.Dispatcher{Store: s, MinBackoff: 20 * time.Millisecond, MaxBackoff: 40 * time.Millisecond, Poll: 10 * time.Millisecond}
	d.Start()
	defer d.Stop()
	waitFor(t, "every delivery after the restart", allDelivered(t, s, hook.ID, len(ids)))
	rc.check(ids)
}

// killedPublisher commits ten events, prints their ids, and is killed
// before anything matches them.
func killedPublisher(path string) {
	s := openStoreOrDie(path)
	b := events.NewBus(s, events.Options{})
	for i := range 10 {
		id, err := b.Publish(bgCtx, truce.Event{Kind: "alert", Subject: fmt.Sprint(i), Visibility: all})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Println(id)
	}
	os.Stdout.Sync()
	syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {}
}
