import {expect} from 'chai'

import {OutputTail, quoteTail} from '../../../src/lib/engine/output-tail.js'

describe('OutputTail', () => {
  it('keeps the last lines of text that arrives in arbitrary chunks', () => {
    const tail = new OutputTail(3)
    for (const chunk of ['one\ntw', 'o\nthree\r\n', 'four\nfi', 've']) tail.push(chunk)
    expect(tail.text()).to.equal('three\nfour\nfive')
  })

  it('quotes the tail as an indented block, and says when there was none', () => {
    expect(quoteTail('a\nb\n')).to.equal('  | a\n  | b')
    expect(quoteTail('')).to.equal('(no output)')
  })
})
