;; Guest pointers and lengths that leave the memory are EFAULT, counts over
;; the host's caps are EINVAL, and a failed call changes nothing: every
;; pointer a call writes to is checked before the call acts.
;; The memory is 2 pages: 131072 bytes. 0x1fffe is 2 bytes before its end.
  (data (i32.const 1024) "file")
  (data (i32.const 1032) "newdir")
  (data (i32.const 1040) "created")
  (data (i32.const 1048) "link")

  (func (export "_start")
    (local $f i32) (local $d i32)
    (call $make_file (i32.const 3) (i32.const 1024) (i32.const 4) (i32.const 1024) (i32.const 4))
    (call $check (call $path_symlink (i32.const 1024) (i32.const 4) (i32.const 3) (i32.const 1048) (i32.const 4)) (i32.const 0) (i32.const 1))

    ;; Paths outside the memory, or whose end overflows 32 bits.
    (call $check (call $path_create_directory (i32.const 3) (i32.const 0x1fffe) (i32.const 4)) (i32.const 21) (i32.const 2))
    (call $check (call $path_create_directory (i32.const 3) (i32.const 0xfffffff0) (i32.const 100)) (i32.const 21) (i32.const 3))
    (call $check (call $path_create_directory (i32.const 3) (i32.const 1032) (i32.const -1)) (i32.const 21) (i32.const 4))
    (call $check (call $open (i32.const 3) (i32.const 0x20000) (i32.const 1) (i32.const 0) (i64.const 0) (i64.const 0) (i32.const 0)) (i32.const 21) (i32.const 5))
    (call $check (call $path_symlink (i32.const 0x1ffff) (i32.const 2) (i32.const 3) (i32.const 1032) (i32.const 6)) (i32.const 21) (i32.const 6))
    ;; A path of PATH_MAX bytes or more is ENAMETOOLONG; an empty one ENOENT.
    (call $check (call $path_create_directory (i32.const 3) (i32.const 4096) (i32.const 4096)) (i32.const 37) (i32.const 7))
    (call $check (call $path_create_directory (i32.const 3) (i32.const 1032) (i32.const 0)) (i32.const 44) (i32.const 8))
    ;; Nothing was created.
    (call $check (call $path_filestat_get (i32.const 3) (i32.const 0) (i32.const 1032) (i32.const 6) (i32.const 64)) (i32.const 44) (i32.const 9))

    ;; path_open with O_CREAT and a bad result pointer creates nothing.
    (call $check (call $path_open (i32.const 3) (i32.const 1) (i32.const 1040) (i32.const 7) (i32.const 1) (i64.const 0x42) (i64.const 0) (i32.const 0) (i32.const 0x1fffe)) (i32.const 21) (i32.const 10))
    (call $check (call $path_filestat_get (i32.const 3) (i32.const 0) (i32.const 1040) (i32.const 7) (i32.const 64)) (i32.const 44) (i32.const 11))

    ;; Results written outside the memory.
    (call $check (call $open (i32.const 3) (i32.const 1024) (i32.const 4) (i32.const 0) (i64.const 0x3fffffff) (i64.const 0) (i32.const 0)) (i32.const 0) (i32.const 12))
    (local.set $f (call $fd))
    (call $check (call $fd_filestat_get (local.get $f) (i32.const 0x1fff0)) (i32.const 21) (i32.const 13))
    (call $check (call $fd_fdstat_get (local.get $f) (i32.const 0x1fff0)) (i32.const 21) (i32.const 14))
    (call $check (call $path_filestat_get (i32.const 3) (i32.const 0) (i32.const 1024) (i32.const 4) (i32.const 0x1fff0)) (i32.const 21) (i32.const 15))
    (call $check (call $fd_seek (local.get $f) (i64.const 2) (i32.const 0) (i32.const 0x1fffc)) (i32.const 21) (i32.const 16))
    (call $check (call $fd_tell (local.get $f) (i32.const 16)) (i32.const 0) (i32.const 17))
    (call $check64 (call $r64) (i64.const 0) (i32.const 18))
    (call $check (call $fd_tell (local.get $f) (i32.const -4)) (i32.const 21) (i32.const 19))
    (call $check (call $clock_time_get (i32.const 0) (i64.const 1) (i32.const 0x1fffc)) (i32.const 21) (i32.const 20))
    (call $check (call $clock_res_get (i32.const 0) (i32.const 0x20000)) (i32.const 21) (i32.const 21))
    (call $check (call $random_get (i32.const 0x1fff0) (i32.const 100)) (i32.const 21) (i32.const 22))
    (call $check (call $args_sizes_get (i32.const 0x20000) (i32.const 12)) (i32.const 21) (i32.const 23))
    (call $check (call $fd_prestat_dir_name (i32.const 3) (i32.const 0x20000) (i32.const 10)) (i32.const 21) (i32.const 24))
    (call $check (call $path_readlink (i32.const 3) (i32.const 1048) (i32.const 4) (i32.const 0x1fffe) (i32.const 10) (i32.const 12)) (i32.const 21) (i32.const 25))
    (call $check (call $path_readlink (i32.const 3) (i32.const 1048) (i32.const 4) (i32.const 2048) (i32.const 10) (i32.const 0x20000)) (i32.const 21) (i32.const 26))

    ;; Writes: a bad iovec array, a bad buffer, a bad count pointer; the file
    ;; keeps its 4 bytes.
    (call $check (call $fd_write (local.get $f) (i32.const 0x1fffc) (i32.const 1) (i32.const 12)) (i32.const 21) (i32.const 27))
    (i32.store (i32.const 200) (i32.const 0x1fff0))
    (i32.store (i32.const 204) (i32.const 100))
    (call $check (call $fd_write (local.get $f) (i32.const 200) (i32.const 1) (i32.const 12)) (i32.const 21) (i32.const 28))
    (i32.store (i32.const 200) (i32.const 1024))
    (i32.store (i32.const 204) (i32.const 4))
    (call $check (call $fd_write (local.get $f) (i32.const 200) (i32.const 1) (i32.const 0x1fffe)) (i32.const 21) (i32.const 29))
    (call $check (call $fd_pwrite (local.get $f) (i32.const 200) (i32.const 1) (i64.const 0) (i32.const 0x1fffe)) (i32.const 21) (i32.const 30))
    (call $check (call $fd_filestat_get (local.get $f) (i32.const 64)) (i32.const 0) (i32.const 31))
    (call $check64 (i64.load (i32.const 96)) (i64.const 4) (i32.const 32))
    ;; More iovecs than IOV_MAX (1024): EINVAL.
    (call $check (call $fd_write (local.get $f) (i32.const 200) (i32.const 1025) (i32.const 12)) (i32.const 28) (i32.const 33))
    (call $check (call $fd_read (local.get $f) (i32.const 200) (i32.const 1025) (i32.const 12)) (i32.const 28) (i32.const 34))

    ;; Reads into a bad buffer.
    (i32.store (i32.const 200) (i32.const 0x1fffe))
    (i32.store (i32.const 204) (i32.const 4))
    (call $check (call $fd_read (local.get $f) (i32.const 200) (i32.const 1) (i32.const 12)) (i32.const 21) (i32.const 35))
    (call $check (call $fd_pread (local.get $f) (i32.const 200) (i32.const 1) (i64.const 0) (i32.const 12)) (i32.const 21) (i32.const 36))
    (call $check (call $fd_read (local.get $f) (i32.const 0x1fffc) (i32.const 2) (i32.const 12)) (i32.const 21) (i32.const 37))

    ;; Directory listings and polls outside the memory (a NUL in a path is EINVAL).
    (call $check (call $open (i32.const 3) (i32.const 1040) (i32.const 1) (i32.const 0) (i64.const 0) (i64.const 0) (i32.const 0)) (i32.const 44) (i32.const 38))
    (call $check (call $path_open (i32.const 3) (i32.const 0) (i32.const 4000) (i32.const 1) (i32.const 2) (i64.const 0x4000) (i64.const 0) (i32.const 0) (i32.const 24)) (i32.const 28) (i32.const 39))
    (i32.store8 (i32.const 4000) (i32.const 46))
    (call $check (call $path_open (i32.const 3) (i32.const 0) (i32.const 4000) (i32.const 1) (i32.const 2) (i64.const 0x4000) (i64.const 0) (i32.const 0) (i32.const 24)) (i32.const 0) (i32.const 40))
    (local.set $d (call $fd))
    (call $check (call $fd_readdir (local.get $d) (i32.const 0x1ff00) (i32.const 0x1000) (i64.const 0) (i32.const 12)) (i32.const 21) (i32.const 41))
    (call $check (call $fd_readdir (local.get $d) (i32.const 2048) (i32.const 256) (i64.const 0) (i32.const 0x1fffe)) (i32.const 21) (i32.const 42))
    (call $check (call $poll_oneoff (i32.const 0x1fff0) (i32.const 2048) (i32.const 1) (i32.const 12)) (i32.const 21) (i32.const 43))
    (call $check (call $poll_oneoff (i32.const 2048) (i32.const 0x1fff0) (i32.const 1) (i32.const 12)) (i32.const 21) (i32.const 44))
    (call $check (call $poll_oneoff (i32.const 2048) (i32.const 4096) (i32.const 1) (i32.const 0x20000)) (i32.const 21) (i32.const 45))
    (call $ok))
