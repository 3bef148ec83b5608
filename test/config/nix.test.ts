// detectNix: what init learns from flake.nix and flake.lock (issue 14), on canned files.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { detectNix, stripNixComments } from '../../src/config/nix.js'
import { tempDir } from '../helpers/repo.js'

function repoWith(files: Record<string, string>): string {
  const dir = tempDir('git-seal-nix-')
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true })
    writeFileSync(join(dir, name), text)
  }
  return dir
}

const SOPS_NIX_FLAKE = `{
  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
    sops-nix = {
      url = "github:Mic92/sops-nix";
      inputs.nixpkgs.follows = "nixpkgs";
    };
  };
  outputs = { self, nixpkgs, sops-nix }: {
    nixosConfigurations.host = nixpkgs.lib.nixosSystem {
      modules = [ ./configuration.nix sops-nix.nixosModules.sops ];
    };
  };
}
`

const lock = (nodes: Record<string, unknown>): string =>
  JSON.stringify({
    nodes: { root: { inputs: Object.fromEntries(Object.keys(nodes).map((n) => [n, n])) }, ...nodes },
    root: 'root',
    version: 7,
  })

describe('detectNix', () => {
  it.each([
    ['no flake', {}, { flake: false, sopsNix: false, agenix: false }],
    [
      'a flake without inputs',
      { 'flake.nix': '{ outputs = { self }: { }; }\n' },
      { flake: true, sopsNix: false, agenix: false },
    ],
    ['sops-nix as an input', { 'flake.nix': SOPS_NIX_FLAKE }, { flake: true, sopsNix: true, agenix: false }],
    [
      'sops-nix.url on one line',
      { 'flake.nix': '{ inputs.sops-nix.url = "github:Mic92/sops-nix"; outputs = _: {}; }' },
      { flake: true, sopsNix: true, agenix: false },
    ],
    [
      'sops-nix renamed, found by its url',
      { 'flake.nix': '{ inputs.sops.url = "github:Mic92/sops-nix"; outputs = _: {}; }' },
      { flake: true, sopsNix: true, agenix: false },
    ],
    [
      'sops-nix only in a comment',
      { 'flake.nix': '{\n  # inputs.sops-nix.url = "github:Mic92/sops-nix";\n  /* sops-nix */ outputs = _: {};\n}' },
      { flake: true, sopsNix: false, agenix: false },
    ],
    [
      'a longer name is not sops-nix',
      { 'flake.nix': '{ inputs.my-sops-nix-fork.url = "github:me/fork"; outputs = _: {}; }' },
      { flake: true, sopsNix: false, agenix: false },
    ],
    [
      'agenix',
      { 'flake.nix': '{ inputs.agenix.url = "github:ryantm/agenix"; outputs = _: {}; }' },
      { flake: true, sopsNix: false, agenix: true },
    ],
    [
      'ragenix',
      { 'flake.nix': '{ inputs.ragenix.url = "github:yaxitech/ragenix"; outputs = _: {}; }' },
      { flake: true, sopsNix: false, agenix: true },
    ],
    [
      'sops-nix only in flake.lock',
      {
        'flake.nix': '{ inputs.secrets.url = "path:./x"; outputs = _: {}; }',
        'flake.lock': lock({ 'sops-nix': { original: { owner: 'Mic92', repo: 'sops-nix', type: 'github' } } }),
      },
      { flake: true, sopsNix: true, agenix: false },
    ],
    [
      'renamed input in flake.lock, found by its repo',
      {
        'flake.nix': '{ outputs = _: {}; }',
        'flake.lock': lock({ s: { original: { owner: 'Mic92', repo: 'sops-nix', type: 'github' } } }),
      },
      { flake: true, sopsNix: true, agenix: false },
    ],
    [
      'an unreadable flake.lock',
      { 'flake.nix': '{ outputs = _: {}; }', 'flake.lock': '{ not json' },
      { flake: true, sopsNix: false, agenix: false },
    ],
  ])('%s', (_name, files, expected) => {
    expect(detectNix(repoWith(files))).toEqual(expected)
  })
})

describe('stripNixComments', () => {
  it.each([
    ['a # comment\nb', 'a \nb'],
    ['a /* x\ny */ b', 'a   b'],
    ['"# not a comment" # one', '"# not a comment" '],
    ["'' # kept\n'''' '' # gone", "'' # kept\n'''' '' "],
    ['"a \\" # still string" x', '"a \\" # still string" x'],
  ])('%j', (input, output) => {
    expect(stripNixComments(input)).toBe(output)
  })
})
