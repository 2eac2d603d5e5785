// Command envpromote promotes identity-platform configuration between the
// environments of a promotion group (dev → UAT… → staging → prod) from a
// terminal or a CI pipeline, the way PingOne Advanced Identity Cloud
// self-service promotions, fr-config-manager and the frodo CLI do, on an
// fr-config-manager export kept in one Git repository.
//
//	envpromote init --org ORG --license ID [--trial]
//	envpromote env create NAME --type PRODUCTION|SANDBOX --region EU [--license ID]
//	envpromote env list [--filter 'name sw "S"']     env get|delete|restore|type …
//	envpromote group save GROUP ENV…                 group list|delete
//	envpromote import DIR --env ENV [--values FILE|-] [--allow-unknown-paths]
//	envpromote export DIR --env ENV [--revision REV]
//	envpromote status [GROUP]
//	envpromote diff LOWER UPPER [--files]
//	envpromote promote LOWER UPPER [--dry-run] [--ignore-encrypted-secrets]
//	                   [--keep-lock] [--description D] [--ticket T]
//	envpromote rollback UPPER    envpromote reports ENV    envpromote report ID
//	envpromote revert DEV --before TIME
//	envpromote esv var set|get|list|delete …    envpromote esv secret create|version|list|delete …
//	envpromote esv restart ENV
//	envpromote lock status|release UPPER
//	envpromote maintain
//	envpromote serve --addr ADDR [--hosts DOMAIN]
//	envpromote completion bash|zsh|fish|powershell
//
// Run "envpromote help COMMAND" for each command's flags, behaviour and
// examples.
//
// # Global flags
//
// --repo DIR is the Git repository (default $ENVPROMOTE_REPO, else
// ./envpromote.git), created by init; --remote URL shares it with other
// machines, --repo then being the local cache. --as NAME is who acts: the
// author of every commit, lock, ESV change and report (default $USER, else
// the OS account's name). --json prints JSON instead of tables on every
// command that reads. The ESV encryption key (32 bytes: raw in a file, or 64
// hex digits or base64 as text) comes from --key-file or $ENVPROMOTE_KEY,
// never from the command line. $ENVPROMOTE_TIME (RFC 3339) fixes the time
// of every change, like GIT_COMMITTER_DATE, for scripts that replay history.
//
// # Exit codes
//
//	0  ok
//	1  error
//	2  usage: a command line that does not parse, or input outside what is
//	   allowed (an unknown type, dev → prod, a bad filter, time or ESV name)
//	3  blocked by integrity checks: each finding is printed with its file,
//	   line, JSON path and fix
//	4  locked by someone else: the holder and the way out are named
//
// Every failure is one line on stderr, "envpromote: …", with environments
// named by name; never a stack trace.
//
// # JSON output
//
// With --json, the commands that read print one JSON document on stdout
// and nothing else there (progress and failures go to stderr, and the exit
// code is as above). Fields are only ever added, never renamed or removed;
// a field without a value may be left out; times are RFC 3339; lists keep
// the order of the table. The shapes are the vendor APIs' where there is
// one, so the same tools read both: environments and groups name
// environments by id, as PingOne does; status and lock status, made for
// the command, name them by name too. The fields, by command (for a list,
// of each element):
//
//	env list, env get|create|type|restore      (PingOne's environment; list: [environment])
//	    id name description type region license{id} organization{id} icon status
//	    billOfMaterials{products[{id type description}] createdAt updatedAt}
//	    createdAt updatedAt softDeletedAt hardDeleteAllowedAt
//	group list                                 [{name organization{id} members[{id tier}]}]
//	status [GROUP]                             one element per member, lowest first:
//	    group environment tier head updated subject lock lockedBy restart pendingESVs
//	diff, report ID, promote, rollback         (AIC's promotionReport)
//	    reportId reportName promotionId createdDate dryRun type promoter
//	    promotionDescription ticketReference missingESVs encryptedSecrets
//	    previouslyIgnoredEncryptedSecrets lowerEnvironment upperEnvironment
//	    revision sourceRevision
//	    report{AMConfig|IDMConfig[{configItem configChange{added|modified|deleted[{name realm uid}]}}]}
//	diff --files                               [{path change diff}]: change is added,
//	                                           modified or deleted; diff is unified
//	reports ENV                                (AIC's promotionReportMeta)
//	    [{reportId promotionId createdDate dryRun type promoter}]
//	promote, blocked (exit 3)                  {blocked findings[{check severity path
//	                                           jsonPath line column esv message hint}]}
//	esv var get, esv var list                  (AIC's variable; list: [variable])
//	    _id description expressionType valueBase64 lastChangedBy lastChangeDate loaded
//	esv secret list                            (AIC's secret, never a value)
//	    [{_id description encoding useInPlaceholders activeVersion loadedVersion
//	    lastChangedBy lastChangeDate loaded}]
//	lock status UPPER                          (AIC's lock state, with names and the holder)
//	    result promotionId description lowerEnv{name id promotionId state}
//	    upperEnv{name id promotionId state} owner acquired expires
//
// The commands that change something print their one-line summary either
// way, except those above that print a report or an environment.
//
// # Choices where the issue was silent
//
//   - The repository belongs to one organization, recorded by init; the
//     actor acts as an Organization Admin of it, as whoever holds the
//     repository and its key can anyway.
//   - Environments are named by name on the command line (ids are accepted
//     too); HTTP paths under serve are names as well.
//   - group save takes at least three environments; tiers follow from the
//     order (development, uat…, staging, production).
//   - import replaces the whole configuration, static and dynamic, because
//     an export is the whole tenant; promotion later keeps the upper
//     environment's dynamic part. ESV values referenced as "${NAME}", as
//     fr-config-pull writes them, come from a .env-style --values file
//     (base64, as the valueBase64 they stand for); a tree holding a secret
//     value in plaintext is refused so it never reaches Git. Loaded ESVs are
//     pending until "esv restart", as in AIC.
//   - export keeps file contents byte for byte; file modes (all 0644) and
//     empty directories are not kept, as in Git without the executable bit.
//   - promote is the front door's PromoteAndUnlock: it unlocks at the end,
//     also on failure, unless --keep-lock keeps a failed run's lock for
//     inspection (a kept lock after success would only block the next run,
//     which locks by itself). Progress goes to stderr, so stdout stays the
//     report (or JSON).
//   - lock release frees a lease held by someone else only with --id naming
//     it, as terraform force-unlock asks for the lock id.
//   - serve authenticates with a bearer token from --token-file or
//     $ENVPROMOTE_TOKEN (a random one is printed otherwise), which acts as
//     --as; the console at /console/ takes the same token. It serves each
//     environment under /NAME and, with --hosts DOMAIN, at the root of
//     NAME.DOMAIN too (--hosts localhost for frodo on one machine), and
//     prints every base URL on start.
package main
