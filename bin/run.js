#!/usr/bin/env node
import { execute } from '@oclif/core';

// populator pins its AWS SDK versions to ones that support Node 20; the SDK's notice about
// future releases needing Node 22 would otherwise land in the middle of a command's output.
// validate's toolchain group says it instead, once, with what to do. Set whatever the caller's
// environment holds: an empty value there silenced nothing.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

await execute({ dir: import.meta.url });
