# debian packaging files shipped in the tarball.
