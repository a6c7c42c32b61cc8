// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/**
 * @title LIVE token
 * @notice The platform's payment token: a plain ERC-20 with EIP-2612 permit (so a client can approve and open a
 * payment channel in one transaction) and 18 decimals. The whole supply is minted once, at deployment, to
 * `holder`; there is no mint, burn or admin function, so the supply can never change.
 */
contract LiveToken is ERC20, ERC20Permit {
    /**
     * @param holder receives the whole fixed supply
     * @param supply the fixed total supply, in the smallest unit (18 decimals)
     */
    constructor(address holder, uint256 supply) ERC20("LIVE Token", "LIVE") ERC20Permit("LIVE Token") {
        _mint(holder, supply);
    }
}
