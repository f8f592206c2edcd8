import {expect} from 'chai'

import {type DoctorReport, renderReport} from '../../../src/lib/doctor/index.js'

describe('doctor: the report for a person', () => {
  const report: DoctorReport = {
    checks: [
      {id: 'node', title: 'Node.js', status: 'ok', detail: 'v22.22.0 at /usr/bin/node'},
      {id: 'engine', title: 'Docker engine', status: 'fail', detail: 'No Docker engine answers.', fix: 'Start Docker.'},
      {id: 'buildkit', title: 'BuildKit', status: 'skipped', detail: 'needs the Docker engine', fix: 'Make it answer.'},
      {id: 'sdk-image', title: 'SDK image', status: 'skipped', detail: 'needs the Docker engine', fix: 'Make it answer.'},
      {id: 'workspace', title: 'Cargo workspace', status: 'warn', detail: '1 warning', fix: 'Do what it says.'},
    ],
    plugins: [
      {name: '@oclif/plugin-help', version: '7.0.5', type: 'core', capabilities: []},
      {name: 'acme-signer', version: '1.0.0', type: 'link', capabilities: ['twoliter:signers', 'twoliter:post-build']},
    ],
    ok: false,
  }

  it('gives each check a symbol, its detail, its fix once per run of equal fixes, then plugins and a summary', () => {
    expect(renderReport(report).split('\n')).to.deep.equal([
      '✔ Node.js          v22.22.0 at /usr/bin/node',
      '✖ Docker engine    No Docker engine answers.',
      '                   Fix: Start Docker.',
      '– BuildKit         needs the Docker engine',
      '– SDK image        needs the Docker engine',
      '                   Fix: Make it answer.',
      '⚠ Cargo workspace  1 warning',
      '                   Fix: Do what it says.',
      '',
      'Plugins:',
      '  @oclif/plugin-help 7.0.5 (core): no twoliter capabilities',
      '  acme-signer 1.0.0 (link): twoliter:signers, twoliter:post-build',
      '',
      '1 of 5 checks passed; 1 failed, 1 warning, 2 skipped.',
    ])
  })

  it('says when every check passed and no plugin is installed', () => {
    const lines = renderReport({checks: [report.checks[0]], plugins: [], ok: true}).split('\n')
    expect(lines.slice(-3)).to.deep.equal(['Plugins: none installed.', '', 'All 1 checks passed.'])
  })
})
