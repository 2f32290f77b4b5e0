;; Path edge cases: O_DIRECTORY on a file, no-follow opens of symlinks,
;; trailing slashes, unlink/rmdir on the wrong kind, symlink loops, escapes,
;; NUL bytes and empty paths, create/exclusive on existing names.
;;
;; The preopen holds (spec): f (file), d/ (dir), lf -> f, ld -> d,
;; loop1 -> loop2, loop2 -> loop1, self -> self, out -> ../x, dang -> nowhere.
  (data (i32.const 1024) "f")
  (data (i32.const 1028) "d")
  (data (i32.const 1032) "lf")
  (data (i32.const 1036) "ld")
  (data (i32.const 1040) "f/")
  (data (i32.const 1044) "d/")
  (data (i32.const 1048) "loop1")
  (data (i32.const 1056) "self")
  (data (i32.const 1064) "out")
  (data (i32.const 1068) "dang")
  (data (i32.const 1076) "nd/")
  (data (i32.const 1080) "../x")
  (data (i32.const 1088) "/f")
  (data (i32.const 1092) "d/../../x")
  (data (i32.const 1104) "f\00x")
  (data (i32.const 1108) ".")
  (data (i32.const 1112) "ld/")
  (data (i32.const 1116) "lf/")
  (data (i32.const 1120) "sl/")
  (data (i32.const 1124) "g/")
  (data (i32.const 1128) "nowhere")
  (data (i32.const 1136) "d2/")
  (data (i32.const 1140) "new/")
  (data (i32.const 1148) "d/./../f")

  ;; path_open without following symlinks; returns the errno.
  (func $open_nofollow (param $path i32) (param $len i32) (param $oflags i32) (result i32)
    (call $path_open (i32.const 3) (i32.const 0) (local.get $path) (local.get $len)
      (local.get $oflags) (i64.const 0x2) (i64.const 0) (i32.const 0) (i32.const 24)))
  ;; The filetype of a path_filestat_get; -1 on error.
  (func $type (param $follow i32) (param $path i32) (param $len i32) (result i32)
    (if (call $path_filestat_get (i32.const 3) (local.get $follow) (local.get $path) (local.get $len) (i32.const 64))
      (then (return (i32.const -1))))
    (i32.load8_u (i32.const 80)))

  (func (export "_start")
    ;; O_DIRECTORY on a file, directly and through a link.
    (call $check (call $open (i32.const 3) (i32.const 1024) (i32.const 1) (i32.const 2) (i64.const 0) (i64.const 0) (i32.const 0)) (i32.const 54) (i32.const 1))
    (call $check (call $open (i32.const 3) (i32.const 1032) (i32.const 2) (i32.const 2) (i64.const 0) (i64.const 0) (i32.const 0)) (i32.const 54) (i32.const 2))
    (call $check (call $open (i32.const 3) (i32.const 1036) (i32.const 2) (i32.const 2) (i64.const 0) (i64.const 0) (i32.const 0)) (i32.const 0) (i32.const 3))
    ;; Without SYMLINK_FOLLOW a final symlink is ELOOP (ENOTDIR with O_DIRECTORY).
    (call $check (call $open_nofollow (i32.const 1032) (i32.const 2) (i32.const 0)) (i32.const 32) (i32.const 4))
    (call $check (call $open_nofollow (i32.const 1036) (i32.const 2) (i32.const 0)) (i32.const 32) (i32.const 5))
    (call $check (call $open_nofollow (i32.const 1036) (i32.const 2) (i32.const 2)) (i32.const 54) (i32.const 6))
    (call $check (call $open_nofollow (i32.const 1024) (i32.const 1) (i32.const 0)) (i32.const 0) (i32.const 7))
    ;; ...but symlinks before the last component are followed, and a
    ;; trailing slash asks for the directory behind the link.
    (call $check (call $open_nofollow (i32.const 1112) (i32.const 3) (i32.const 0)) (i32.const 0) (i32.const 8))
    (call $check (call $type (i32.const 0) (i32.const 1032) (i32.const 2)) (i32.const 7) (i32.const 9))
    (call $check (call $type (i32.const 1) (i32.const 1032) (i32.const 2)) (i32.const 4) (i32.const 10))
    (call $check (call $type (i32.const 0) (i32.const 1112) (i32.const 3)) (i32.const 3) (i32.const 11))

    ;; Trailing slashes on files.
    (call $check (call $open (i32.const 3) (i32.const 1040) (i32.const 2) (i32.const 0) (i64.const 0) (i64.const 0) (i32.const 0)) (i32.const 54) (i32.const 12))
    (call $check (call $open (i32.const 3) (i32.const 1116) (i32.const 3) (i32.const 0) (i64.const 0) (i64.const 0) (i32.const 0)) (i32.const 54) (i32.const 13))
    (call $check (call $type (i32.const 1) (i32.const 1040) (i32.const 2)) (i32.const -1) (i32.const 14))
    (call $check (call $open (i32.const 3) (i32.const 1044) (i32.const 2) (i32.const 0) (i64.const 0) (i64.const 0) (i32.const 0)) (i32.const 0) (i32.const 15))
    (call $check (call $path_unlink_file (i32.const 3) (i32.const 1040) (i32.const 2)) (i32.const 54) (i32.const 16))
    (call $check (call $path_remove_directory (i32.const 3) (i32.const 1040) (i32.const 2)) (i32.const 54) (i32.const 17))
    (call $check (call $path_create_directory (i32.const 3) (i32.const 1076) (i32.const 3)) (i32.const 0) (i32.const 18))
    (call $check (call $path_remove_directory (i32.const 3) (i32.const 1076) (i32.const 3)) (i32.const 0) (i32.const 19))
    (call $check (call $path_symlink (i32.const 1024) (i32.const 1) (i32.const 3) (i32.const 1120) (i32.const 3)) (i32.const 44) (i32.const 20))
    (call $check (call $path_symlink (i32.const 1024) (i32.const 1) (i32.const 3) (i32.const 1040) (i32.const 2)) (i32.const 20) (i32.const 21))
    (call $check (call $path_rename (i32.const 3) (i32.const 1024) (i32.const 1) (i32.const 3) (i32.const 1124) (i32.const 2)) (i32.const 54) (i32.const 22))
    (call $check (call $path_rename (i32.const 3) (i32.const 1044) (i32.const 2) (i32.const 3) (i32.const 1136) (i32.const 3)) (i32.const 0) (i32.const 23))
    (call $check (call $path_rename (i32.const 3) (i32.const 1136) (i32.const 3) (i32.const 3) (i32.const 1044) (i32.const 2)) (i32.const 0) (i32.const 24))
    ;; O_CREAT with a trailing slash: EISDIR.
    (call $check (call $open (i32.const 3) (i32.const 1140) (i32.const 4) (i32.const 1) (i64.const 0x42) (i64.const 0) (i32.const 0)) (i32.const 31) (i32.const 25))

    ;; unlink and rmdir on the wrong kind.
    (call $check (call $path_unlink_file (i32.const 3) (i32.const 1028) (i32.const 1)) (i32.const 31) (i32.const 26))
    (call $check (call $path_unlink_file (i32.const 3) (i32.const 1044) (i32.const 2)) (i32.const 31) (i32.const 27))
    (call $check (call $path_remove_directory (i32.const 3) (i32.const 1024) (i32.const 1)) (i32.const 54) (i32.const 28))
    (call $check (call $path_remove_directory (i32.const 3) (i32.const 1036) (i32.const 2)) (i32.const 54) (i32.const 29))
    (call $check (call $path_remove_directory (i32.const 3) (i32.const 1108) (i32.const 1)) (i32.const 28) (i32.const 30))
    (call $check (call $path_unlink_file (i32.const 3) (i32.const 1108) (i32.const 1)) (i32.const 31) (i32.const 31))

    ;; Loops.
    (call $check (call $open (i32.const 3) (i32.const 1048) (i32.const 5) (i32.const 0) (i64.const 0) (i64.const 0) (i32.const 0)) (i32.const 32) (i32.const 32))
    (call $check (call $open (i32.const 3) (i32.const 1056) (i32.const 4) (i32.const 0) (i64.const 0) (i64.const 0) (i32.const 0)) (i32.const 32) (i32.const 33))
    (call $check (call $path_filestat_get (i32.const 3) (i32.const 1) (i32.const 1048) (i32.const 5) (i32.const 64)) (i32.const 32) (i32.const 34))
    (call $check (call $type (i32.const 0) (i32.const 1048) (i32.const 5)) (i32.const 7) (i32.const 35))
    (call $check (call $open_nofollow (i32.const 1056) (i32.const 4) (i32.const 0)) (i32.const 32) (i32.const 36))

    ;; Escapes: ENOTCAPABLE, whether by `..`, an absolute path or a symlink.
    (call $check (call $open (i32.const 3) (i32.const 1080) (i32.const 4) (i32.const 0) (i64.const 0) (i64.const 0) (i32.const 0)) (i32.const 76) (i32.const 37))
    (call $check (call $open (i32.const 3) (i32.const 1088) (i32.const 2) (i32.const 0) (i64.const 0) (i64.const 0) (i32.const 0)) (i32.const 76) (i32.const 38))
    (call $check (call $open (i32.const 3) (i32.const 1092) (i32.const 9) (i32.const 1) (i64.const 0x42) (i64.const 0) (i32.const 0)) (i32.const 76) (i32.const 39))
    (call $check (call $open (i32.const 3) (i32.const 1064) (i32.const 3) (i32.const 0) (i64.const 0) (i64.const 0) (i32.const 0)) (i32.const 76) (i32.const 40))
    (call $check (call $path_create_directory (i32.const 3) (i32.const 1080) (i32.const 4)) (i32.const 76) (i32.const 41))
    (call $check (call $path_symlink (i32.const 1088) (i32.const 2) (i32.const 3) (i32.const 1124) (i32.const 1)) (i32.const 76) (i32.const 42))
    (call $check (call $open (i32.const 3) (i32.const 1148) (i32.const 8) (i32.const 0) (i64.const 0) (i64.const 0) (i32.const 0)) (i32.const 0) (i32.const 43))

    ;; NUL bytes and empty paths.
    (call $check (call $open (i32.const 3) (i32.const 1104) (i32.const 3) (i32.const 0) (i64.const 0) (i64.const 0) (i32.const 0)) (i32.const 28) (i32.const 44))
    (call $check (call $open (i32.const 3) (i32.const 1024) (i32.const 0) (i32.const 0) (i64.const 0) (i64.const 0) (i32.const 0)) (i32.const 44) (i32.const 45))
    (call $check (call $path_unlink_file (i32.const 3) (i32.const 1024) (i32.const 0)) (i32.const 44) (i32.const 46))

    ;; Creating what exists.
    (call $check (call $open (i32.const 3) (i32.const 1024) (i32.const 1) (i32.const 5) (i64.const 0x42) (i64.const 0) (i32.const 0)) (i32.const 20) (i32.const 47))
    (call $check (call $open (i32.const 3) (i32.const 1028) (i32.const 1) (i32.const 5) (i64.const 0) (i64.const 0) (i32.const 0)) (i32.const 20) (i32.const 48))
    (call $check (call $open (i32.const 3) (i32.const 1108) (i32.const 1) (i32.const 5) (i64.const 0) (i64.const 0) (i32.const 0)) (i32.const 20) (i32.const 49))
    (call $check (call $open (i32.const 3) (i32.const 1068) (i32.const 4) (i32.const 5) (i64.const 0x42) (i64.const 0) (i32.const 0)) (i32.const 20) (i32.const 50))
    (call $check (call $path_create_directory (i32.const 3) (i32.const 1028) (i32.const 1)) (i32.const 20) (i32.const 51))
    (call $check (call $path_create_directory (i32.const 3) (i32.const 1068) (i32.const 4)) (i32.const 20) (i32.const 52))
    (call $check (call $type (i32.const 0) (i32.const 1128) (i32.const 7)) (i32.const -1) (i32.const 53))
    ;; O_CREAT without O_EXCL on an existing file opens it.
    (call $check (call $open (i32.const 3) (i32.const 1024) (i32.const 1) (i32.const 1) (i64.const 0x2) (i64.const 0) (i32.const 0)) (i32.const 0) (i32.const 54))
    (call $check (call $read (call $fd) (i32.const 2048) (i32.const 16)) (i32.const 0) (i32.const 55))
    (call $check (call $r32) (i32.const 4) (i32.const 56))

    ;; readlink of what is not a symlink; link with SYMLINK_FOLLOW through a
    ;; dangling link; a hard link to a directory.
    (call $check (call $path_readlink (i32.const 3) (i32.const 1024) (i32.const 1) (i32.const 2048) (i32.const 16) (i32.const 12)) (i32.const 28) (i32.const 57))
    (call $check (call $path_readlink (i32.const 3) (i32.const 1028) (i32.const 1) (i32.const 2048) (i32.const 16) (i32.const 12)) (i32.const 28) (i32.const 58))
    (call $check (call $path_readlink (i32.const 3) (i32.const 1068) (i32.const 4) (i32.const 2048) (i32.const 3) (i32.const 12)) (i32.const 0) (i32.const 59))
    (call $check (call $r32) (i32.const 3) (i32.const 60))
    (call $check (call $path_link (i32.const 3) (i32.const 1) (i32.const 1068) (i32.const 4) (i32.const 3) (i32.const 1124) (i32.const 1)) (i32.const 44) (i32.const 61))
    (call $check (call $path_link (i32.const 3) (i32.const 0) (i32.const 1028) (i32.const 1) (i32.const 3) (i32.const 1124) (i32.const 1)) (i32.const 63) (i32.const 62))
    (call $ok))
