// Package fsinfo tells whether a directory is on a network file system,
// where file notifications (inotify, FSEvents, ReadDirectoryChangesW) see
// only the changes made through this machine, never another machine's.
package fsinfo

// Remote reports whether dir is on a network file system and, if so, what
// kind ("nfs", "cifs", "fuse", "smbfs", "a network drive").
func Remote(dir string) (kind string, isRemote bool, err error) {
	return remoteFS(dir)
}
