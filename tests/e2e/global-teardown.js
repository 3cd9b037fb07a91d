// Stops the hub of global-setup.js.
const fs = require('fs');
const path = require('path');

module.exports = async () => {
  const file = path.join(__dirname, '.state.json');
  if (!fs.existsSync(file)) return;
  const { pid } = JSON.parse(fs.readFileSync(file, 'utf8'));
  try { process.kill(pid, 'SIGTERM'); } catch { /* already gone */ }
  fs.unlinkSync(file);
};
