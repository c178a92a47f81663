// Packs the current folder with node-tar (npm 'tar'), gzip-compressed.
const tar = require('tar');
tar.c({ gzip: true, file: process.argv[2], sync: true }, ['.']);
