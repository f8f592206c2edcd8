import {expect} from 'chai'

import {TWOLITER_EVENTS, describePlugins} from '../../../src/lib/doctor/plugins.js'

describe('doctor: plugins', () => {
  it('lists the twoliter capability events a plugin declares, in a fixed order, and nothing else', () => {
    const [report] = describePlugins([
      {
        name: 'twoliter-plugin-ecr',
        version: '1.2.0',
        type: 'user',
        hookEvents: ['init', 'twoliter:post-publish', 'twoliter:registry-auth', 'twoliter:unknown-event', 'registry-auth'],
      },
    ])
    expect(report).to.deep.equal({name: 'twoliter-plugin-ecr', version: '1.2.0', type: 'user', capabilities: ['twoliter:registry-auth', 'twoliter:post-publish']})
  })

  it('knows the six twoliter events', () => {
    expect(TWOLITER_EVENTS).to.deep.equal([
      'twoliter:registry-auth',
      'twoliter:signers',
      'twoliter:pre-build',
      'twoliter:post-build',
      'twoliter:pre-publish',
      'twoliter:post-publish',
    ])
  })

  it('sorts plugins by name, whatever order oclif loaded them in', () => {
    const names = describePlugins([
      {name: '@oclif/plugin-plugins', version: '7.0.0', type: 'core', hookEvents: []},
      {name: 'local-signer', version: '0.0.1', type: 'link', hookEvents: ['twoliter:signers']},
      {name: '@oclif/plugin-help', version: '7.0.5', type: 'core', hookEvents: []},
    ]).map((plugin) => `${plugin.name} ${plugin.type} ${plugin.capabilities.join(',')}`)
    expect(names).to.deep.equal(['@oclif/plugin-help core ', '@oclif/plugin-plugins core ', 'local-signer link twoliter:signers'])
  })
})
