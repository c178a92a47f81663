const { execFileSync } = require('node:child_process');
const greeter = require('attached-greeter');
const versioned = require('attached-versioned');

exports.handler = async () => ({
  greeting: greeter.hello(),
  greeter: greeter.file,
  versioned: versioned.file,
  tool: execFileSync('attached-tool').toString().trim(),
});
