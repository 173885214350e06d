"""Writes a minimal runtime root file system as a tar: the files of the named Debian packages, taken from a
debootstrap root, plus the CA bundle, a passwd/group with root and nonroot (65532), /tmp and /home/nonroot.
No shell, no package manager. Used by docker-images.sh in place of distroless/cc-debian12:nonroot.

Usage: runtime-rootfs.py ROOT OUT.tar PACKAGE...
"""

import glob
import io
import os
import sys
import tarfile

# Documentation, translations and package scripts are not needed to run a binary.
SKIP = ("/usr/share/doc/", "/usr/share/lintian/", "/usr/share/locale/", "/usr/share/man/", "/usr/share/info/")


def package_paths(root, package):
    lists = glob.glob(f"{root}/var/lib/dpkg/info/{package}.list") + glob.glob(
        f"{root}/var/lib/dpkg/info/{package}:*.list"
    )
    if not lists:
        sys.exit(f"runtime-rootfs: package {package} is not installed in {root}")
    for name in lists:
        with open(name) as f:
            yield from (line.rstrip("\n") for line in f if line.strip() not in ("", "/."))


def in_root(root, path):
    """The path as it is stored in ROOT: with merged /usr, /lib/x is /usr/lib/x (the top symlinks are kept too)."""
    top, _, rest = path.lstrip("/").partition("/")
    if rest and os.path.islink(os.path.join(root, top)):
        return os.readlink(os.path.join(root, top)).lstrip("/") + "/" + rest
    return path.lstrip("/")


def main():
    root, out, packages = sys.argv[1], sys.argv[2], sys.argv[3:]
    wanted = set()
    for package in packages:
        for path in package_paths(root, package):
            if not path.startswith(SKIP):
                wanted.add(in_root(root, path))
    # The bundle update-ca-certificates generated (no package owns it), and the merged-/usr top symlinks.
    wanted.update(p.removeprefix(root).lstrip("/") for p in glob.glob(f"{root}/etc/ssl/certs/*"))
    wanted.update(top for top in ("bin", "lib", "lib64", "sbin") if os.path.islink(os.path.join(root, top)))
    # Parents first so that every directory exists with its own mode before its files.
    for path in list(wanted):
        parent = os.path.dirname(path)
        while parent:
            wanted.add(parent)
            parent = os.path.dirname(parent)

    with tarfile.open(out, "w", format=tarfile.GNU_FORMAT) as tar:
        for path in sorted(wanted):
            full = os.path.join(root, path)
            if not os.path.lexists(full):
                continue
            info = tar.gettarinfo(full, arcname=path)
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            if info.isreg():
                with open(full, "rb") as f:
                    tar.addfile(info, f)
            elif info.isdir() or info.issym():
                tar.addfile(info)
        files = {
            "etc/passwd": "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n",
            "etc/group": "root:x:0:\nnonroot:x:65532:\n",
            "etc/nsswitch.conf": "passwd: files\ngroup: files\nhosts: files dns\n",
        }
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
        for name, mode, owner in (("tmp", 0o1777, 0), ("home", 0o755, 0), ("home/nonroot", 0o700, 65532)):
            info = tarfile.TarInfo(name)
            info.type, info.mode, info.uid, info.gid = tarfile.DIRTYPE, mode, owner, owner
            tar.addfile(info)


if __name__ == "__main__":
    main()
