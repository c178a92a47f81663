// Packs the current folder with yazl: directories, files with their modes and mtimes, symlinks as unix links.
const fs = require('fs');
const path = require('path');
const yazl = require('yazl');

const zip = new yazl.ZipFile();
function walk(dir) {
  for (const name of fs.readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    const rel = path.relative('.', full);
    const st = fs.lstatSync(full);
    if (st.isSymbolicLink()) {
      zip.addBuffer(Buffer.from(fs.readlinkSync(full)), rel, { mode: 0o120777, mtime: st.mtime });
    } else if (st.isDirectory()) {
      zip.addEmptyDirectory(rel, { mode: st.mode, mtime: st.mtime });
      walk(full);
    } else {
      zip.addFile(full, rel, { mode: st.mode, mtime: st.mtime });
    }
  }
}
walk('.');
zip.outputStream.pipe(fs.createWriteStream(process.argv[2])).on('close', () => process.exit(0));
zip.end();
