import { execFileSync } from 'node:child_process';
import greeter from 'attached-greeter';
import versioned from 'attached-versioned';

export const handler = async () => ({
  greeting: greeter.hello(),
  greeter: greeter.file,
  versioned: versioned.file,
  tool: execFileSync('attached-tool').toString().trim(),
});
