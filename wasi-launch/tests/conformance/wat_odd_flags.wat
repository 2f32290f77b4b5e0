;; Flags and enum values preview1 does not define are EINVAL, checked
;; before anything happens; the defined `*_now` time flags work.
  (data (i32.const 1024) "file")
  (data (i32.const 1032) "never")

  (func (export "_start")
    (local $f i32) (local $before i64)
    (call $make_file (i32.const 3) (i32.const 1024) (i32.const 4) (i32.const 1024) (i32.const 4))
    ;; path_open: unknown oflags, fdflags, lookupflags; O_CREAT|O_DIRECTORY.
    (call $check (call $open (i32.const 3) (i32.const 1032) (i32.const 5) (i32.const 0x11) (i64.const 0x42) (i64.const 0) (i32.const 0)) (i32.const 28) (i32.const 1))
    (call $check (call $open (i32.const 3) (i32.const 1032) (i32.const 5) (i32.const 1) (i64.const 0x42) (i64.const 0) (i32.const 0x20)) (i32.const 28) (i32.const 2))
    (call $check (call $path_open (i32.const 3) (i32.const 2) (i32.const 1032) (i32.const 5) (i32.const 1) (i64.const 0x42) (i64.const 0) (i32.const 0) (i32.const 24)) (i32.const 28) (i32.const 3))
    (call $check (call $open (i32.const 3) (i32.const 1032) (i32.const 5) (i32.const 3) (i64.const 0x42) (i64.const 0) (i32.const 0)) (i32.const 28) (i32.const 4))
    (call $check (call $path_filestat_get (i32.const 3) (i32.const 0) (i32.const 1032) (i32.const 5) (i32.const 64)) (i32.const 44) (i32.const 5))
    ;; Rights bits above preview1's are dropped, not an error.
    (call $check (call $open (i32.const 3) (i32.const 1024) (i32.const 4) (i32.const 0) (i64.const -1) (i64.const -1) (i32.const 0)) (i32.const 0) (i32.const 6))
    (local.set $f (call $fd))
    (call $check (call $fd_fdstat_get (local.get $f) (i32.const 64)) (i32.const 0) (i32.const 7))
    (call $check64 (i64.and (i64.load (i32.const 72)) (i64.const 0xffffffffc0000000)) (i64.const 0) (i32.const 8))
    ;; Other lookupflags bits.
    (call $check (call $path_filestat_get (i32.const 3) (i32.const 4) (i32.const 1024) (i32.const 4) (i32.const 64)) (i32.const 28) (i32.const 9))
    (call $check (call $path_filestat_set_times (i32.const 3) (i32.const 8) (i32.const 1024) (i32.const 4) (i64.const 0) (i64.const 0) (i32.const 0)) (i32.const 28) (i32.const 10))
    (call $check (call $path_link (i32.const 3) (i32.const 2) (i32.const 1024) (i32.const 4) (i32.const 3) (i32.const 1032) (i32.const 5)) (i32.const 28) (i32.const 11))
    ;; fdflags.
    (call $check (call $fd_fdstat_set_flags (local.get $f) (i32.const 0x20)) (i32.const 28) (i32.const 12))
    (call $check (call $fd_fdstat_set_flags (local.get $f) (i32.const 0x10000)) (i32.const 28) (i32.const 13))
    ;; fstflags: a time both given and "now", or an unknown bit.
    (call $check (call $fd_filestat_set_times (local.get $f) (i64.const 1) (i64.const 2) (i32.const 3)) (i32.const 28) (i32.const 14))
    (call $check (call $fd_filestat_set_times (local.get $f) (i64.const 1) (i64.const 2) (i32.const 12)) (i32.const 28) (i32.const 15))
    (call $check (call $fd_filestat_set_times (local.get $f) (i64.const 1) (i64.const 2) (i32.const 16)) (i32.const 28) (i32.const 16))
    (call $check (call $path_filestat_set_times (i32.const 3) (i32.const 0) (i32.const 1024) (i32.const 4) (i64.const 1) (i64.const 2) (i32.const 3)) (i32.const 28) (i32.const 17))
    (call $check (call $path_filestat_set_times (i32.const 3) (i32.const 0) (i32.const 1024) (i32.const 4) (i64.const 1) (i64.const 2) (i32.const 12)) (i32.const 28) (i32.const 18))
    ;; The times did not move: set them, then check the INVAL calls above
    ;; and below left them alone.
    (call $check (call $fd_filestat_set_times (local.get $f) (i64.const 1000) (i64.const 2000) (i32.const 5)) (i32.const 0) (i32.const 19))
    (call $check (call $path_filestat_set_times (i32.const 3) (i32.const 0) (i32.const 1024) (i32.const 4) (i64.const 7) (i64.const 8) (i32.const 15)) (i32.const 28) (i32.const 20))
    (call $check (call $fd_filestat_get (local.get $f) (i32.const 64)) (i32.const 0) (i32.const 21))
    (call $check64 (i64.load (i32.const 104)) (i64.const 1000) (i32.const 22))
    (call $check64 (i64.load (i32.const 112)) (i64.const 2000) (i32.const 23))
    ;; *_NOW sets the current time; omitted times stay.
    (call $check (call $clock_time_get (i32.const 0) (i64.const 1) (i32.const 16)) (i32.const 0) (i32.const 24))
    (local.set $before (i64.sub (call $r64) (i64.const 1000000000)))
    (call $check (call $fd_filestat_set_times (local.get $f) (i64.const 0) (i64.const 0) (i32.const 8)) (i32.const 0) (i32.const 25))
    (call $check (call $fd_filestat_get (local.get $f) (i32.const 64)) (i32.const 0) (i32.const 26))
    (call $check64 (i64.load (i32.const 104)) (i64.const 1000) (i32.const 27))
    (call $check (i64.ge_u (i64.load (i32.const 112)) (local.get $before)) (i32.const 1) (i32.const 28))
    (call $check (call $path_filestat_set_times (i32.const 3) (i32.const 1) (i32.const 1024) (i32.const 4) (i64.const 0) (i64.const 0) (i32.const 2)) (i32.const 0) (i32.const 29))
    (call $check (call $path_filestat_get (i32.const 3) (i32.const 1) (i32.const 1024) (i32.const 4) (i32.const 64)) (i32.const 0) (i32.const 30))
    (call $check (i64.ge_u (i64.load (i32.const 104)) (local.get $before)) (i32.const 1) (i32.const 31))
    ;; Timestamps far in the future are accepted (no overflow in the host).
    (call $check (call $fd_filestat_set_times (local.get $f) (i64.const -1) (i64.const 0x7fffffffffffffff) (i32.const 5)) (i32.const 0) (i32.const 32))
    ;; Other enums: advice, whence, clock ids.
    (call $check (call $fd_advise (local.get $f) (i64.const 0) (i64.const 0) (i32.const 6)) (i32.const 28) (i32.const 33))
    (call $check (call $fd_advise (local.get $f) (i64.const 0) (i64.const 0) (i32.const 5)) (i32.const 0) (i32.const 34))
    (call $check (call $fd_seek (local.get $f) (i64.const 0) (i32.const 3) (i32.const 16)) (i32.const 28) (i32.const 35))
    (call $check (call $fd_seek (local.get $f) (i64.const -1) (i32.const 0) (i32.const 16)) (i32.const 28) (i32.const 36))
    (call $check (call $fd_seek (local.get $f) (i64.const -5) (i32.const 2) (i32.const 16)) (i32.const 28) (i32.const 37))
    (call $check (call $clock_time_get (i32.const 4) (i64.const 1) (i32.const 16)) (i32.const 28) (i32.const 38))
    (call $check (call $clock_res_get (i32.const -1) (i32.const 16)) (i32.const 28) (i32.const 39))
    ;; Sizes and offsets past what a file can hold.
    (call $check (call $fd_filestat_set_size (local.get $f) (i64.const -1)) (i32.const 28) (i32.const 40))
    (call $check (call $fd_allocate (local.get $f) (i64.const 0x7fffffffffffffff) (i64.const 2)) (i32.const 22) (i32.const 41))
    (call $check (call $fd_allocate (local.get $f) (i64.const 0) (i64.const 0)) (i32.const 28) (i32.const 42))
    (i32.store (i32.const 200) (i32.const 2048))
    (i32.store (i32.const 204) (i32.const 4))
    (call $check (call $fd_pread (local.get $f) (i32.const 200) (i32.const 1) (i64.const -1) (i32.const 12)) (i32.const 28) (i32.const 43))
    (call $check (call $fd_pwrite (local.get $f) (i32.const 200) (i32.const 1) (i64.const -1) (i32.const 12)) (i32.const 28) (i32.const 44))
    (call $check (call $fd_filestat_get (local.get $f) (i32.const 64)) (i32.const 0) (i32.const 45))
    (call $check64 (i64.load (i32.const 96)) (i64.const 4) (i32.const 46))
    ;; Signals preview1 does not define.
    (call $check (call $proc_raise (i32.const 99)) (i32.const 28) (i32.const 47))
    (call $ok))
