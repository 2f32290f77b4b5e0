;; fd_renumber: the entry moves (position, rights, flags), the target's old
;; object is closed, the source number is freed; both fds must be open.
;; Preopens can be closed and renumbered over.
  (data (i32.const 1024) "a")
  (data (i32.const 1028) "b")
  (data (i32.const 1032) ".")

  (func (export "_start")
    (local $a i32) (local $b i32) (local $c i32)
    (call $check (call $open (i32.const 3) (i32.const 1024) (i32.const 1) (i32.const 0) (i64.const 0x26) (i64.const 0) (i32.const 0)) (i32.const 0) (i32.const 1))
    (local.set $a (call $fd))
    (call $check (call $open (i32.const 3) (i32.const 1028) (i32.const 1) (i32.const 0) (i64.const 0x42) (i64.const 0) (i32.const 1)) (i32.const 0) (i32.const 2))
    (local.set $b (call $fd))
    (call $check (local.get $a) (i32.const 4) (i32.const 3))
    (call $check (local.get $b) (i32.const 5) (i32.const 4))
    ;; Move a's position first, so it can be seen to travel.
    (call $check (call $fd_seek (local.get $a) (i64.const 2) (i32.const 0) (i32.const 16)) (i32.const 0) (i32.const 5))
    (call $check (call $fd_renumber (local.get $a) (local.get $b)) (i32.const 0) (i32.const 6))
    (call $check (call $fd_close (local.get $a)) (i32.const 8) (i32.const 7))
    (call $check (call $fd_tell (local.get $b) (i32.const 16)) (i32.const 0) (i32.const 8))
    (call $check64 (call $r64) (i64.const 2) (i32.const 9))
    (call $check (call $read (local.get $b) (i32.const 2048) (i32.const 16)) (i32.const 0) (i32.const 10))
    (call $check (call $r32) (i32.const 2) (i32.const 11))
    (call $check (i32.load16_u (i32.const 2048)) (i32.const 0x4141) (i32.const 12))
    (call $check (call $fd_fdstat_get (local.get $b) (i32.const 64)) (i32.const 0) (i32.const 13))
    (call $check64 (i64.load (i32.const 72)) (i64.const 0x26) (i32.const 14))
    (call $check (i32.load16_u (i32.const 66)) (i32.const 0) (i32.const 15))
    ;; Renumbering onto a closed fd, or from one: EBADF; onto itself: nothing.
    (call $check (call $fd_renumber (local.get $b) (local.get $a)) (i32.const 8) (i32.const 16))
    (call $check (call $fd_renumber (local.get $a) (local.get $b)) (i32.const 8) (i32.const 17))
    (call $check (call $fd_renumber (local.get $b) (local.get $b)) (i32.const 0) (i32.const 18))
    (call $check (call $fd_tell (local.get $b) (i32.const 16)) (i32.const 0) (i32.const 19))
    ;; The freed number is handed out again, lowest first.
    (call $check (call $open (i32.const 3) (i32.const 1032) (i32.const 1) (i32.const 2) (i64.const 0x4000) (i64.const 0) (i32.const 0)) (i32.const 0) (i32.const 20))
    (local.set $c (call $fd))
    (call $check (local.get $c) (local.get $a) (i32.const 21))
    ;; Over a preopen: fd 3 becomes the plain directory, no longer a preopen.
    (call $check (call $fd_renumber (local.get $c) (i32.const 3)) (i32.const 0) (i32.const 22))
    (call $check (call $fd_prestat_get (i32.const 3) (i32.const 64)) (i32.const 8) (i32.const 23))
    (call $check (call $fd_fdstat_get (i32.const 3) (i32.const 64)) (i32.const 0) (i32.const 24))
    (call $check64 (i64.load (i32.const 72)) (i64.const 0x4000) (i32.const 25))
    (call $check (call $fd_readdir (i32.const 3) (i32.const 4096) (i32.const 1024) (i64.const 0) (i32.const 12)) (i32.const 0) (i32.const 26))
    ;; Closing it leaves no directory fd at all.
    (call $check (call $fd_close (i32.const 3)) (i32.const 0) (i32.const 27))
    (call $check (call $open (i32.const 3) (i32.const 1024) (i32.const 1) (i32.const 0) (i64.const 0) (i64.const 0) (i32.const 0)) (i32.const 8) (i32.const 28))
    ;; A standard stream can be replaced too: fd 2 becomes the file.
    (call $check (call $fd_renumber (local.get $b) (i32.const 2)) (i32.const 0) (i32.const 29))
    (call $check (call $fd_fdstat_get (i32.const 2) (i32.const 64)) (i32.const 0) (i32.const 30))
    (call $check (i32.load8_u (i32.const 64)) (i32.const 4) (i32.const 31))
    (call $ok))
